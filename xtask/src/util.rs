//! Running commands as named steps, the way CI and a person see them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// The result of a step: `Err` carries a one-line reason.
pub type StepResult = Result<(), String>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// A command that runs in the workspace root.
pub fn cmd(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args).current_dir(root());
    c
}

/// `cargo` with the given toolchain (`None`: the default one) and arguments.
pub fn cargo(toolchain: Option<&str>, args: &[&str]) -> Command {
    let mut c = cmd("cargo", &[]);
    if let Some(t) = toolchain {
        c.arg(format!("+{t}"));
    }
    c.args(args);
    c
}

/// How many steps have passed in this run.
static PASSED: AtomicUsize = AtomicUsize::new(0);

/// The number of steps that have passed so far.
pub fn passed() -> usize {
    PASSED.load(Ordering::Relaxed)
}

/// Counts a step that passed without [`step`] (one whose work is done in this process).
pub fn record_pass() {
    PASSED.fetch_add(1, Ordering::Relaxed);
}

/// Runs `command` as the step `name`, printing its name, the command and its duration.
pub fn step(name: &str, command: &mut Command) -> StepResult {
    println!("\n==> {name}\n    $ {}", describe(command));
    let start = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("{name}: cannot start {:?}: {e}", command.get_program()))?;
    let secs = start.elapsed().as_secs_f64();
    if status.success() {
        println!("<== {name}: ok ({secs:.1} s)");
        PASSED.fetch_add(1, Ordering::Relaxed);
        Ok(())
    } else {
        Err(format!("{name}: failed ({status}) after {secs:.1} s"))
    }
}

/// The command line of `command`, with the environment variables it sets.
pub fn describe(command: &Command) -> String {
    let mut parts: Vec<String> = command
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_string_lossy(), v?.to_string_lossy())))
        .collect();
    parts.push(command.get_program().to_string_lossy().into_owned());
    parts.extend(command.get_args().map(|a| a.to_string_lossy().into_owned()));
    parts.join(" ")
}

/// The workspace's target directory, honouring `CARGO_TARGET_DIR`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map_or_else(
            || root().join("target"),
            |t| if t.is_absolute() { t } else { root().join(t) },
        )
}

/// The release build of the wasm3 example's CLI, `guestmem-wasm3`.
pub fn cli_path() -> PathBuf {
    target_dir().join("release/guestmem-wasm3")
}

/// The comparison binary beside it (the same CLI on wasm3's own C WASI), built with it.
pub fn c_wasi_path() -> PathBuf {
    target_dir().join("release/guestmem-wasm3-c-wasi")
}

/// Builds the wasm3 example's CLI (and its comparison twin) in release, as a step.
pub fn build_cli() -> StepResult {
    step(
        "build the guestmem-wasm3 CLI (release)",
        &mut cargo(None, &["build", "--release", "-p", "guestmem-wasm3"]),
    )
}
