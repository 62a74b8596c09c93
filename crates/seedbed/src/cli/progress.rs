//! Progress bars per table on a terminal; nothing at all when stderr is not one (CI, pipes).

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use seedbed_seeds::{Progress, Quiet};

struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress for Bars {
    fn start(&self, table: &str, expected: u64) {
        let bar = self.multi.add(ProgressBar::new(expected.max(1)));
        bar.set_style(
            ProgressStyle::with_template("{prefix:>28} {bar:30} {pos:>9} rows {per_sec:>12}")
                .expect("a valid template"),
        );
        bar.set_prefix(table.to_owned());
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

/// Bars on a terminal, silence elsewhere.
pub fn for_stderr() -> Box<dyn Progress> {
    if std::io::stderr().is_terminal() {
        Box::new(Bars {
            multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
            bars: Mutex::default(),
        })
    } else {
        Box::new(Quiet)
    }
}
