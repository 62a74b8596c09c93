//! The words in the data read like a live system's (issue 18): no Latin filler in any text
//! column of any domain, and every review agrees in tone with its score. Checked on one `dev`
//! seeding on SQLite: the text does not depend on the backend (the digests, equal on every
//! backend, cover it), and dev has reviews of every score.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use seedbed_core::Backend;
use seedbed_seeds::Profile;

use crate::seeding::{options, seeded};
use crate::util::{TestDb, domains};

/// Lorem ipsum's vocabulary, as filler generators (the `fake` crate's lorem among them) use
/// it. Words that are also English or common names (`do`, `sit`, `ad`, `id`, `non`, `est`, `ut` (Utah), `et`,
/// `dolores`, `magnam`, `maxime`…) are left out, so that a real sentence or name never trips the check.
const FILLER: &[&str] = &[
    "lorem",
    "ipsum",
    "dolor",
    "amet",
    "consectetur",
    "adipiscing",
    "adipisci",
    "eiusmod",
    "tempor",
    "incididunt",
    "labore",
    "dolore",
    "aliqua",
    "aliquam",
    "enim",
    "minim",
    "veniam",
    "nostrud",
    "exercitation",
    "exercitationem",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "proident",
    "sunt",
    "culpa",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "laborum",
    "blanditiis",
    "consequuntur",
    "maiores",
    "voluptatem",
    "voluptas",
    "voluptates",
    "voluptatum",
    "aspernatur",
    "odit",
    "fugit",
    "sequi",
    "nesciunt",
    "neque",
    "porro",
    "quisquam",
    "dolorem",
    "numquam",
    "eius",
    "modi",
    "tempora",
    "incidunt",
    "quaerat",
    "quibusdam",
    "officiis",
    "debitis",
    "necessitatibus",
    "saepe",
    "eveniet",
    "repudiandae",
    "recusandae",
    "itaque",
    "earum",
    "rerum",
    "tenetur",
    "sapiente",
    "delectus",
    "reiciendis",
    "perferendis",
    "doloribus",
    "asperiores",
    "repellat",
    "accusantium",
    "doloremque",
    "laudantium",
    "totam",
    "aperiam",
    "eaque",
    "ipsa",
    "quae",
    "inventore",
    "veritatis",
    "quasi",
    "architecto",
    "beatae",
    "vitae",
    "dicta",
    "explicabo",
    "nemo",
    "ipsam",
    "quia",
    "consequatur",
    "magni",
    "ratione",
    "dolorum",
    "fuga",
    "harum",
    "quidem",
    "facilis",
    "expedita",
    "distinctio",
    "libero",
    "soluta",
    "nobis",
    "eligendi",
    "optio",
    "cumque",
    "nihil",
    "impedit",
    "quo",
    "minus",
    "placeat",
    "facere",
    "possimus",
    "omnis",
    "assumenda",
    "repellendus",
    "temporibus",
    "autem",
    "aut",
    "molestiae",
    "molestias",
    "excepturi",
    "occaecati",
    "cupiditate",
    "provident",
    "similique",
    "mollitia",
    "animi",
    "corrupti",
    "quos",
    "quas",
    "iusto",
    "iure",
    "illo",
    "illum",
    "ullam",
    "corporis",
    "suscipit",
    "laboriosam",
    "commodi",
    "vel",
    "qui",
    "atque",
    "voluptatibus",
    "dignissimos",
    "ducimus",
    "praesentium",
    "deleniti",
    "sed",
];

/// Words that make a review warm, and words of a complaint.
const WARM: &[&str] = &[
    "fantastic",
    "excellent",
    "great",
    "recommend",
    "thank",
    "spotless",
    "good",
    "solid",
    "best",
    "tidy",
    "friendly",
    "again",
];
const COMPLAINT: &[&str] = &[
    "terrible",
    "avoid",
    "late",
    "mess",
    "poor",
    "disappointed",
    "botched",
    "never",
    "refund",
    "worst",
    "rude",
    "longer",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Every text value of every table of `db`, as (table.column, value). A column is text
/// where the driver reads its value as a string.
async fn text_values(db: &DatabaseConnection, tables: &[&str]) -> Vec<(String, String)> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for table in tables {
        let sql = format!("SELECT * FROM \"{table}\"");
        for row in db.query_all_raw(Statement::from_string(backend, sql)).await.unwrap() {
            for (i, column) in row.column_names().iter().enumerate() {
                if let Ok(Some(value)) = row.try_get_by_index::<Option<String>>(i) {
                    out.push((format!("{table}.{column}"), value));
                }
            }
        }
    }
    out
}

/// The filler words in `values`, by column, with an example value each.
fn filler_in(values: &[(String, String)]) -> BTreeMap<String, (String, String)> {
    let mut found = BTreeMap::new();
    for (column, value) in values {
        if let Some(word) = words(value).find(|w| FILLER.contains(&w.as_str())) {
            found.entry(column.clone()).or_insert((word, value.clone()));
        }
    }
    found
}

/// What is wrong with the tone of a review of `score` stars, if anything.
fn tone_problem(score: i16, review: &str) -> Option<String> {
    let warm: Vec<String> = words(review).filter(|w| WARM.contains(&w.as_str())).collect();
    let sour: Vec<String> = words(review).filter(|w| COMPLAINT.contains(&w.as_str())).collect();
    match score {
        4..=5 if warm.is_empty() || !sour.is_empty() => {
            Some(format!("{score} stars but warm words {warm:?}, complaint words {sour:?}"))
        }
        1..=2 if sour.is_empty() || !warm.is_empty() => {
            Some(format!("{score} stars but complaint words {sour:?}, warm words {warm:?}"))
        }
        _ => None,
    }
}

#[test]
fn the_checks_catch_filler_and_a_review_in_the_wrong_tone() {
    let values = vec![
        ("items.description".to_owned(), "A drill, unused.".to_owned()),
        ("draws.description".to_owned(), "Blanditiis sint consequuntur maiores.".to_owned()),
    ];
    let found = filler_in(&values);
    assert_eq!(found.keys().collect::<Vec<_>>(), ["draws.description"], "{found:?}");
    assert_eq!(tone_problem(5, "Great job, thank you!"), None);
    assert!(tone_problem(5, "Terrible, avoid.").is_some(), "a complaint passed for five stars");
    assert!(tone_problem(1, "Fantastic work, highly recommend.").is_some(), "praise passed for one star");
    assert_eq!(tone_problem(1, "Terrible experience, arrived late."), None);
    assert_eq!(tone_problem(3, "Okay overall."), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_data_has_no_filler_and_reviews_agree_with_scores() {
    let t = TestDb::new(Backend::Sqlite).await;
    let mut scanned = 0;
    let mut reviews_by_score = BTreeMap::new();
    for domain in domains() {
        let db = seeded(&t, domain, options(Profile::Dev, 42)).await;
        let tables: Vec<&str> = domain.seeder.tables().iter().map(|t| t.name()).collect();
        let values = text_values(&db, &tables).await;
        scanned += values.len();
        let found = filler_in(&values);
        assert!(
            found.is_empty(),
            "{}: Latin filler in {} column(s): {}",
            domain.name,
            found.len(),
            found.iter().map(|(c, (w, v))| format!("\n  {c}: {w:?} in {v:?}")).collect::<String>()
        );
        if domain.name != "booking" {
            continue;
        }
        let sql = "SELECT score, review FROM ratings WHERE review IS NOT NULL";
        let mut wrong = Vec::new();
        for row in db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap() {
            let (score, review): (i16, String) =
                (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
            *reviews_by_score.entry(score).or_insert(0) += 1;
            if let Some(problem) = tone_problem(score, &review) {
                wrong.push(format!("{problem}: {review:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} review(s) disagree with their score:\n  {}",
            wrong.len(),
            wrong.join("\n  ")
        );
    }
    assert!(scanned > 10_000, "only {scanned} text values were read: the scan missed the text columns");
    for score in 1..=5i16 {
        assert!(
            reviews_by_score.get(&score).copied().unwrap_or(0) >= 20,
            "too few reviews of {score} stars to judge their tone: {reviews_by_score:?}"
        );
    }
}
