//! Stage timings and peak memory for `consolidate --timings`, so anyone can
//! see where the time goes on their own data.

use std::time::{Duration, Instant};

/// Named stages in the order they ran.
#[derive(Debug, Default)]
pub struct Timings {
    stages: Vec<(&'static str, Duration)>,
    /// Stages that ran at the same time (shown marked; the total counts
    /// their common wall time once).
    parallel: Vec<(Vec<(&'static str, Duration)>, Duration)>,
}

/// Run `f` and say how long it took.
pub(crate) fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

impl Timings {
    /// Run `f`, recording its wall time under `name`.
    pub(crate) fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let (out, d) = timed(f);
        self.stages.push((name, d));
        out
    }

    /// Record a stage timed elsewhere, before the others.
    pub(crate) fn prepend(&mut self, name: &'static str, d: Duration) {
        self.stages.insert(0, (name, d));
    }

    /// Record stages that ran side by side, each with its own time, and
    /// the wall time of the whole group.
    pub(crate) fn parallel(&mut self, stages: Vec<(&'static str, Duration)>, wall: Duration) {
        self.parallel.push((stages, wall));
    }

    #[cfg(test)]
    pub(crate) fn stages(&self) -> &[(&'static str, Duration)] {
        &self.stages
    }

    /// The report printed on stderr.
    pub(crate) fn report(&self) -> String {
        let mut out = String::from("用时(秒):\n");
        let mut total = Duration::ZERO;
        let line = |name: &str, d: Duration| {
            // Chinese characters take two columns on a terminal.
            let pad = 16usize.saturating_sub(crate::write::style::text_width(name) as usize);
            format!("  {name}{}{:>8.3}\n", " ".repeat(pad), d.as_secs_f64())
        };
        for (name, d) in &self.stages {
            out.push_str(&line(name, *d));
            total += *d;
        }
        for (group, wall) in &self.parallel {
            let names: Vec<&str> = group.iter().map(|(n, _)| *n).collect();
            out.push_str(&format!(
                "  同时进行({}):
",
                names.join("、")
            ));
            for (name, d) in group {
                out.push_str(&format!("  {}", line(name, *d)));
            }
            out.push_str(&line("同时进行合计", *wall));
            total += *wall;
        }
        out.push_str(&line("合计", total));
        match peak_memory_mb() {
            Some(mb) => out.push_str(&format!("峰值内存:{mb:.0} MB\n")),
            None => out.push_str("峰值内存:无法读取(/proc/self/status 不可用)\n"),
        }
        out
    }
}

/// Peak resident memory of this process (VmHWM), in MB.
pub(crate) fn peak_memory_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_are_kept_in_order_and_reported() {
        let mut t = Timings::default();
        let v = t.time("读取", || 7);
        t.time("校验", || ());
        assert_eq!(v, 7);
        let names: Vec<&str> = t.stages().iter().map(|s| s.0).collect();
        assert_eq!(names, ["读取", "校验"]);
        let r = t.report();
        assert!(
            r.contains("读取") && r.contains("合计") && r.contains("峰值内存"),
            "{r}"
        );
        // Side-by-side stages count once, by their common wall time.
        t.parallel(
            vec![
                ("甲", Duration::from_millis(3000)),
                ("乙", Duration::from_millis(1000)),
            ],
            Duration::from_millis(3000),
        );
        let r = t.report();
        assert!(r.contains("同时进行(甲、乙)"), "{r}");
        let secs = |label: &str| -> f64 {
            let line = r
                .lines()
                .find(|l| l.trim_start().starts_with(label))
                .unwrap();
            line.split_whitespace().last().unwrap().parse().unwrap()
        };
        assert_eq!(secs("同时进行合计"), 3.0, "{r}");
        assert_eq!(secs("甲"), 3.0, "{r}");
        assert_eq!(secs("乙"), 1.0, "{r}");
        assert!((3.0..3.1).contains(&secs("合计")), "{r}");
    }
}
