//! A one-line progress bar for long commands (imports, sweeps, purges).

/// How many tables a purge empties, for its bar.
pub const TABLE_COUNT: u64 = steward_store::retention::purge::TABLES.len() as u64;

/// What the bar counts.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    Megabytes,
    Count(&'static str),
}

/// A one-line progress bar on standard error, redrawn at most once per percent.
pub struct ProgressBar {
    total: u64,
    terminal: bool,
    unit: Unit,
    last_percent: std::sync::atomic::AtomicU64,
}

impl ProgressBar {
    /// A bar on standard error when it is a terminal; silent otherwise (logs, CI).
    pub fn new(total: u64, unit: Unit) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        Self { total, terminal, unit, last_percent: std::sync::atomic::AtomicU64::new(u64::MAX) }
    }

    pub fn show(&self, done: u64) {
        if !self.terminal || self.total == 0 {
            return;
        }
        let percent = (done.min(self.total) * 100) / self.total;
        if self.last_percent.swap(percent, std::sync::atomic::Ordering::Relaxed) == percent {
            return;
        }
        let filled = (percent / 4) as usize;
        let bar = format!("[{}{}] {percent:>3}%", "#".repeat(filled), ".".repeat(25 - filled));
        match self.unit {
            Unit::Megabytes => {
                eprint!("\r{bar}  {:.1} / {:.1} MB", done as f64 / 1e6, self.total as f64 / 1e6)
            }
            Unit::Count(what) => eprint!("\r{bar}  {done} / {} {what}", self.total),
        }
    }

    pub fn finish(&self) {
        if self.terminal && self.total > 0 {
            eprintln!();
        }
    }
}

/// A bar for work whose size it learns with its first report (`done` of `total`
/// tenants), as the sweep and a key rotation call it.
#[derive(Default)]
pub struct LateBar {
    bar: std::sync::OnceLock<ProgressBar>,
}

impl LateBar {
    pub fn show(&self, done: usize, total: usize, what: &'static str) {
        self.bar.get_or_init(|| ProgressBar::new(total as u64, Unit::Count(what))).show(done as u64);
    }

    pub fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish();
        }
    }
}
