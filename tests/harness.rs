//! The test harness itself, where it is more than plumbing: on a server shared with other
//! runs and machines, a sweep drops exactly the test namespaces whose owner is gone, judged
//! by the server's own locks.

use sea_orm::sqlx::{self, Connection};
use seedbed_core::{Backend, Target};

use crate::util::{LOCK_CLASS, server_url, sweep_dead_tokens, token_lock};

/// A live foreign run's token lock: a session of its own, as another machine's would be.
enum Holder {
    Postgres(#[allow(dead_code)] sqlx::PgConnection),
    MySql(#[allow(dead_code)] sqlx::MySqlConnection),
}

async fn hold(backend: Backend, url: &str, token: &str) -> Holder {
    let (key, name) = token_lock(token);
    match backend {
        Backend::Postgres => {
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            sqlx::query("SELECT pg_advisory_lock($1, $2)")
                .bind(LOCK_CLASS)
                .bind(key)
                .execute(&mut c)
                .await
                .unwrap();
            Holder::Postgres(c)
        }
        _ => {
            let mut c = sqlx::MySqlConnection::connect(url).await.unwrap();
            sqlx::query("SELECT GET_LOCK(?, 0)").bind(name).execute(&mut c).await.unwrap();
            Holder::MySql(c)
        }
    }
}

/// A random token of the kind test processes use, so that parallel runs cannot collide.
fn some_token() -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("h{:07x}", (n ^ std::process::id().rotate_left(16)) & 0x0fff_ffff)
}

async fn a_sweep_drops_only_namespaces_whose_owner_is_gone(backend: Backend) {
    let url = server_url(backend).unwrap();
    let (alive, dead) =
        (some_token(), format!("h{:07x}", u32::from_str_radix(&some_token()[1..], 16).unwrap() ^ 1));
    let _holder = hold(backend, &url, &alive).await;
    for token in [&alive, &dead] {
        let t = Target::parse(&url).unwrap().with_prefix(&format!("sbt_{token}_0_")).unwrap();
        drop(t.connect("draw").await.unwrap());
    }
    let bare = Target::parse(&url).unwrap().with_prefix("").unwrap();
    sweep_dead_tokens(backend, &url, &bare).await;
    let left = |token: &String| {
        let bare = bare.clone();
        let prefix = format!("sbt_{token}_");
        async move { bare.list_namespaces(&prefix).await.unwrap() }
    };
    let (alive_left, dead_left) = (left(&alive).await, left(&dead).await);
    for name in alive_left.iter().chain(&dead_left) {
        bare.drop_namespace(name).await.unwrap();
    }
    assert_eq!(alive_left, [format!("sbt_{alive}_0_draw")], "a live run's namespace was swept");
    assert_eq!(dead_left, Vec::<String>::new(), "a dead run's namespace survived the sweep");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_drops_only_namespaces_whose_owner_is_gone_postgres() {
    a_sweep_drops_only_namespaces_whose_owner_is_gone(Backend::Postgres).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sweep_drops_only_namespaces_whose_owner_is_gone_mysql() {
    a_sweep_drops_only_namespaces_whose_owner_is_gone(Backend::MySql).await
}
