//! The fixtures library, used as a test suite would: isolated clones of a seeded template,
//! built once however many threads and processes ask at the same time, dropped with their
//! handles, and factories whose rows keep every rule.

use std::time::{SystemTime, UNIX_EPOCH};

use sea_orm::{EntityTrait, PaginatorTrait};
use seedbed_core::Backend;
use seedbed_fixtures::{Domain, Fixture, Profile};

use crate::seeding::failing_checks;
use crate::util::{backend_tests, server_url};

/// Where fixtures go for `backend`: the test servers, or a SQLite directory of this run.
fn url(backend: Backend) -> String {
    server_url(backend).unwrap_or_else(|| {
        format!("sqlite://{}", std::env::temp_dir().join("seedbed-fixtures-tests").display())
    })
}

/// A seed nobody has used, so that the template does not exist yet.
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64;
    1_000_000 + (nanos ^ (std::process::id() as u64) << 20) % 1_000_000_000
}

backend_tests!(two_fixtures_do_not_see_each_other);
async fn two_fixtures_do_not_see_each_other(backend: Backend) {
    let a = Fixture::new(Domain::Draw).url(&url(backend)).acquire().await.unwrap();
    let b = Fixture::new(Domain::Draw).url(&url(backend)).acquire().await.unwrap();
    assert_ne!(a.url(), b.url());
    let before = seedbed_draw::draws::Entity::find().count(b.conn()).await.unwrap();
    let f = a.factory();
    f.draws().open().with_entry_fee(50).create().await.unwrap();
    assert_eq!(seedbed_draw::draws::Entity::find().count(a.conn()).await.unwrap(), before + 1);
    assert_eq!(
        seedbed_draw::draws::Entity::find().count(b.conn()).await.unwrap(),
        before,
        "a write leaked into another fixture"
    );
}

backend_tests!(factories_keep_every_rule);
async fn factories_keep_every_rule(backend: Backend) {
    let db = Fixture::new(Domain::Raffle)
        .and(Domain::Draw)
        .and(Domain::Booking)
        .url(&url(backend))
        .acquire()
        .await
        .unwrap();
    let f = db.factory();
    f.raffles().open().create().await.unwrap();
    let done = f.raffles().completed().boxes(6).sold(5).create().await.unwrap();
    assert_eq!((done.boxes_sold, done.winning_box_number.is_some()), (5, true));
    f.raffles().cancelled().create().await.unwrap();
    let open = f.draws().open().with_entry_fee(50).create().await.unwrap();
    let player = db.known().player().await.unwrap();
    f.participate(&player.id, open.id).await.unwrap();
    let again = f.participate(&player.id, open.id).await.unwrap_err().to_string();
    assert!(again.contains("already entered"), "{again}");
    let finished = f.draws().finished().entrants(4).create().await.unwrap();
    assert!(!finished.is_active && finished.winner_id.is_some() && finished.current_participants == 4);
    let completed = f.bookings().completed().create().await.unwrap();
    f.bookings().cancelled().create().await.unwrap();
    let requested = f.bookings().requested().create().await.unwrap();
    f.rate(completed.id, 4).await.unwrap();
    let refused = f.rate(requested.id, 5).await.unwrap_err().to_string();
    assert!(refused.contains("needs a completed booking"), "{refused}");
    for domain in [Domain::Raffle, Domain::Draw, Domain::Booking] {
        let registry = seedbed::domains::find(domain.name()).unwrap();
        let failing = failing_checks(db.connection(domain), registry).await;
        assert!(
            failing.is_empty(),
            "{} after the factories on {backend:?}:\n  {}",
            domain.name(),
            failing.join("\n  ")
        );
    }
}

backend_tests!(a_dropped_fixture_leaves_nothing_behind);
async fn a_dropped_fixture_leaves_nothing_behind(backend: Backend) {
    let db = Fixture::new(Domain::Booking).url(&url(backend)).acquire().await.unwrap();
    let location = db.location();
    assert!(location.namespace_exists("booking").await.unwrap());
    drop(db);
    let gone = !location.namespace_exists("booking").await.unwrap_or(false);
    assert!(gone, "the fixture's database outlived its handle: {}", location.describe("booking"));

    let kept = Fixture::new(Domain::Booking).url(&url(backend)).keep(true).acquire().await.unwrap();
    let location = kept.location();
    drop(kept);
    assert!(location.namespace_exists("booking").await.unwrap(), "keep(true) did not keep the database");
    // Clean up by hand what `keep` kept.
    let bare = location.clone().with_prefix("").unwrap();
    match backend {
        Backend::Postgres => {
            let admin = seedbed_core::Target::parse(&url(backend)).unwrap();
            let db = admin.connect("public").await.unwrap();
            let name = location.server_database().unwrap();
            sea_orm::ConnectionTrait::execute_unprepared(
                &db,
                &format!("DROP DATABASE \"{name}\" WITH (FORCE)"),
            )
            .await
            .unwrap();
        }
        Backend::MySql => bare.drop_namespace(&location.namespace("booking")).await.unwrap(),
        Backend::Sqlite => std::fs::remove_dir_all(location.sqlite_dir_path().unwrap()).unwrap(),
    }
}

backend_tests!(concurrent_acquisitions_build_the_template_once);
/// 16 acquisitions at once in this process, and 8 more in another process, of a template
/// that does not exist yet: one of them builds it, all of them get their own clone.
async fn concurrent_acquisitions_build_the_template_once(backend: Backend) {
    let seed = fresh_seed();
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "fixtures::child_acquisitions", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("SEEDBED_FIXTURE_CHILD", format!("{}|{seed}", url(backend)))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let acquisitions = (0..16).map(|_| async move {
        Fixture::new(Domain::Draw).url(&url(backend)).seed(seed).acquire().await.unwrap()
    });
    let fixtures = futures_join(acquisitions).await;
    let mut urls: Vec<String> = fixtures.iter().map(|f| f.url()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 16, "two acquisitions shared a database");
    let out = {
        let mut stdout = String::new();
        std::io::Read::read_to_string(child.stdout.as_mut().unwrap(), &mut stdout).unwrap();
        assert!(child.wait().unwrap().success(), "the other process failed:\n{stdout}");
        stdout
    };
    let child_built: usize = out
        .lines()
        .find_map(|l| l.split("templates built: ").nth(1))
        .unwrap_or_else(|| panic!("the other process did not report:\n{out}"))
        .trim()
        .parse()
        .unwrap();
    let here = seedbed_fixtures::templates_built(seed);
    assert_eq!(
        here + child_built,
        1,
        "the template was built {here} time(s) here and {child_built} in the other process"
    );
    drop(fixtures);
    Fixture::new(Domain::Draw).url(&url(backend)).seed(seed).forget_template().await.unwrap();
}

/// The other process of the test above; runs only when it asks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by concurrent_acquisitions_build_the_template_once"]
async fn child_acquisitions() {
    let Ok(spec) = std::env::var("SEEDBED_FIXTURE_CHILD") else { return };
    let (url, seed) = spec.rsplit_once('|').unwrap();
    let seed: u64 = seed.parse().unwrap();
    let acquisitions = (0..8).map(|_| {
        let url = url.to_owned();
        async move { Fixture::new(Domain::Draw).url(&url).seed(seed).acquire().await.unwrap() }
    });
    let fixtures = futures_join(acquisitions).await;
    assert_eq!(fixtures.len(), 8);
    println!("templates built: {}", seedbed_fixtures::templates_built(seed));
}

/// Runs futures concurrently on the test's runtime and collects their outputs in order.
async fn futures_join<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_well_known_rows_are_there() {
    let db = Fixture::new(Domain::Raffle)
        .and(Domain::Draw)
        .and(Domain::Booking)
        .profile(Profile::Tiny)
        .url(&url(Backend::Sqlite))
        .acquire()
        .await
        .unwrap();
    let known = db.known();
    let (raffle, winner) = known.completed_raffle().await.unwrap();
    assert_eq!(raffle.winner_id, Some(winner.id));
    assert!(known.open_raffle().await.is_ok());
    let (draw, won) = known.finished_draw().await.unwrap();
    assert_eq!(draw.winner_id.as_deref(), Some(won.user_id.as_str()));
    let (booking, payment) = known.completed_booking().await.unwrap();
    assert_eq!((payment.booking_id, payment.amount), (booking.id, booking.price));
    assert_eq!(known.raffle_customer().await.unwrap().email, "customer@raffle.example.com");
    assert_eq!(db.accounts().len(), 9);
}
