//! Progress bars per domain and table on a terminal, all under one `MultiProgress` so that
//! domains seeded at once draw their bars one below the other; nothing at all when stderr is
//! not a terminal (CI, pipes).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use seedbed_seeds::{Progress, Quiet};

/// Where a command's bars are drawn: shared by every domain the command seeds.
pub struct Display {
    multi: Option<MultiProgress>,
}

impl Display {
    /// Bars on a terminal, silence elsewhere.
    pub fn for_stderr() -> Display {
        let multi = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Display { multi }
    }

    /// The progress of one domain: its bars are prefixed with its name.
    pub fn for_domain(&self, domain: &'static str) -> Box<dyn Progress> {
        match &self.multi {
            Some(multi) => Box::new(Bars { multi: multi.clone(), domain, bars: Mutex::default() }),
            None => Box::new(Quiet),
        }
    }
}

struct Bars {
    multi: MultiProgress,
    domain: &'static str,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, table: &str, expected: u64) {
        let bar = self.multi.add(ProgressBar::new(expected.max(1)));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>36} {bar:30} {pos:>9} rows {per_sec:>12}")
                .expect("a valid template"),
        );
        bar.set_prefix(format!("{}/{table}", self.domain));
        self.bars.lock().expect("progress lock").insert(table.to_owned(), bar);
    }

    fn advance(&self, table: &str, rows: u64) {
        if let Some(bar) = self.bars.lock().expect("progress lock").get(table) {
            if bar.position() + rows > bar.length().unwrap_or(0) {
                bar.set_length(bar.position() + rows);
            }
            bar.inc(rows);
        }
    }

    fn finish(&self, table: &str) {
        if let Some(bar) = self.bars.lock().expect("progress lock").remove(table) {
            bar.finish_and_clear();
        }
    }
}
