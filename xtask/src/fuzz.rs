//! `cargo xtask fuzz [SECONDS] [TARGET]`: runs each finished fuzz target of `fuzz/` with
//! cargo-fuzz (libFuzzer, nightly) for SECONDS (default 60), one process on one core, and
//! reports executions, executions per second and coverage (libFuzzer's `cov:` and `ft:`).
//!
//! New inputs go to `fuzz/target/corpus/<target>/` (ignored by git), seeded with the
//! checked-in corpus `fuzz/corpus/<target>/`, which CI replays without a fuzzing engine
//! (`cargo test -p guestmem-fuzz --test replay`). To refresh the checked-in corpus, minimize:
//! `cargo +nightly fuzz cmin --target-dir fuzz/target --features libfuzzer <target>
//! fuzz/corpus/<target>` after merging new inputs into it.
//!
//! Without a sanitizer, for speed: the core's unsafe code is covered by Miri. A crash leaves
//! its input in `fuzz/artifacts/<target>/`; rerun it with `cargo +nightly fuzz run
//! --target-dir fuzz/target --features libfuzzer <target> <file>`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Instant;

use crate::util::{cargo, describe, root, StepResult};

/// The finished targets (`guestmem_fuzz::TARGETS`; keep in step).
const TARGETS: [&str; 3] = ["core_model", "wasi_calls", "modules"];

/// The toolchain cargo-fuzz builds with (it needs nightly's `-Z` flags).
const NIGHTLY: &str = "nightly";

/// Seconds per target when none are given.
const DEFAULT_SECONDS: u64 = 60;

/// The largest input libFuzzer tries, in bytes: small inputs run fast and still reach every
/// operation of the targets.
const MAX_LEN: u32 = 4096;

/// The largest input of `modules`, whose corpus holds the repository's guests (up to 29 KB) as
/// seeds to mutate.
const MAX_LEN_MODULES: u32 = 32768;

/// Seconds one input may run before libFuzzer reports a hang: `modules` runs mutated guests,
/// which wasm3 cannot interrupt.
const TIMEOUT: u32 = 10;

/// What libFuzzer reported at the end of a run.
#[derive(Debug, Default)]
struct Stats {
    executions: Option<u64>,
    per_second: Option<u64>,
    cov: Option<u64>,
    ft: Option<u64>,
    corpus: Option<String>,
}

impl Stats {
    /// Reads what a line of libFuzzer's output tells.
    fn scan(&mut self, line: &str) {
        if let Some(v) = line.strip_prefix("stat::number_of_executed_units:") {
            self.executions = v.trim().parse().ok();
        } else if let Some(v) = line.strip_prefix("stat::average_exec_per_sec:") {
            self.per_second = v.trim().parse().ok();
        } else if line.starts_with('#') {
            // Status lines: `#123 NEW cov: 456 ft: 789 corp: 10/2Kb ...`; the last one wins.
            let mut words = line.split_whitespace();
            while let Some(word) = words.next() {
                match word {
                    "cov:" => self.cov = words.next().and_then(|v| v.parse().ok()),
                    "ft:" => self.ft = words.next().and_then(|v| v.parse().ok()),
                    "corp:" => self.corpus = words.next().map(str::to_string),
                    _ => {}
                }
            }
        }
    }

    /// One line for the summary.
    fn line(&self) -> String {
        let show = |v: Option<u64>| v.map_or_else(|| "?".to_string(), |v| v.to_string());
        format!(
            "{} executions, {} exec/s, cov {}, ft {}, corpus {}",
            show(self.executions),
            show(self.per_second),
            show(self.cov),
            show(self.ft),
            self.corpus.as_deref().unwrap_or("?")
        )
    }
}

/// Runs the fuzz targets: `[SECONDS] [TARGET]`, in either order.
pub fn run(args: &[String]) -> StepResult {
    let mut seconds = DEFAULT_SECONDS;
    let mut only: Option<&str> = None;
    for arg in args {
        if let Ok(s) = arg.parse::<u64>() {
            seconds = s;
        } else if TARGETS.contains(&arg.as_str()) {
            only = Some(arg);
        } else {
            return Err(format!(
                "unknown fuzz target `{arg}`; finished targets: {}",
                TARGETS.join(", ")
            ));
        }
    }
    let installed = cargo(Some(NIGHTLY), &["fuzz", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        return Err(format!(
            "cargo-fuzz (with the {NIGHTLY} toolchain) is needed: `cargo install cargo-fuzz` \
             and `rustup toolchain install {NIGHTLY}`"
        ));
    }
    let mut summary = Vec::new();
    for target in TARGETS.into_iter().filter(|t| only.is_none_or(|o| o == *t)) {
        let stats = run_target(target, seconds)?;
        summary.push(format!("{target}: {}", stats.line()));
    }
    println!("\nfuzzing, {seconds} s per target, no finding:");
    for line in summary {
        println!("    {line}");
    }
    Ok(())
}

/// One target for `seconds`; its stats, or the finding.
fn run_target(target: &str, seconds: u64) -> Result<Stats, String> {
    let scratch = format!("fuzz/target/corpus/{target}");
    let checked_in = format!("fuzz/corpus/{target}");
    std::fs::create_dir_all(root().join(&scratch)).map_err(|e| format!("{scratch}: {e}"))?;
    let max_time = format!("-max_total_time={seconds}");
    let max_len = if target == "modules" {
        MAX_LEN_MODULES
    } else {
        MAX_LEN
    };
    let max_len = format!("-max_len={max_len}");
    let timeout = format!("-timeout={TIMEOUT}");
    let mut command = cargo(
        Some(NIGHTLY),
        &[
            "fuzz",
            "run",
            "--target-dir",
            "fuzz/target",
            "--sanitizer",
            "none",
            "--features",
            "libfuzzer",
            target,
            &scratch,
            &checked_in,
            "--",
            &max_time,
            &max_len,
            &timeout,
            "-print_final_stats=1",
        ],
    );
    println!(
        "\n==> fuzz {target} for {seconds} s\n    $ {}",
        describe(&command)
    );
    let start = Instant::now();
    let mut child = command
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("fuzz {target}: cannot start cargo fuzz: {e}"))?;
    let mut stats = Stats::default();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            stats.scan(&line);
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("fuzz {target}: cargo fuzz: {e}"))?;
    let secs = start.elapsed().as_secs_f64();
    if !status.success() {
        return Err(format!(
            "fuzz {target}: a finding or a failure ({status}) after {secs:.0} s; \
             the input is in fuzz/artifacts/{target}/"
        ));
    }
    println!("<== fuzz {target}: {} ({secs:.0} s)", stats.line());
    Ok(stats)
}
