//! `cargo xtask test`: every proof obligation of the core issue and the examples, in small
//! named steps. Each step prints the command it runs, so a failure can be rerun by hand.

use std::time::Instant;

use crate::util::{cargo, root, step, StepResult};

/// The nightly that Miri runs on, pinned so that a new nightly cannot break CI.
pub const MIRI_NIGHTLY: &str = "nightly-2026-05-20";

/// Bare-metal targets the core must build for.
const THUMB_TARGETS: [&str; 2] = ["thumbv6m-none-eabi", "thumbv7em-none-eabihf"];

/// Everything, in order of cost: cheap static checks first, then Miri, then the firmware
/// under QEMU.
pub fn all() -> StepResult {
    let start = Instant::now();
    step(
        "format",
        &mut cargo(None, &["fmt", "--all", "--", "--check"]),
    )?;
    step(
        "clippy",
        &mut cargo(
            None,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
    )?;
    step(
        "rustdoc",
        cargo(None, &["doc", "--workspace", "--no-deps"]).env("RUSTDOCFLAGS", "-D warnings"),
    )?;
    step("tests", &mut cargo(None, &["test", "--workspace"]))?;
    crate::wasi_testsuite::check_step()?;
    step(
        "fuzz corpus replay",
        &mut cargo(None, &["test", "-p", "guestmem-fuzz", "--test", "replay"]),
    )?;
    crate::publish::examples()?;
    crate::publish::all()?;
    cross()?;
    no_panic()?;
    miri()?;
    crate::firmware::run(&[])?;
    println!(
        "\nall checks passed in {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The core alone, for each bare-metal target and feature set; the alloc extension and the
/// WASI crate (without `std`) too.
pub fn cross() -> StepResult {
    for target in THUMB_TARGETS {
        for features in ["", "defmt"] {
            step(
                &format!("core for {target} (features: [{features}])"),
                &mut cargo(
                    None,
                    &[
                        "build",
                        "-p",
                        "guestmem",
                        "--target",
                        target,
                        "--features",
                        features,
                    ],
                ),
            )?;
        }
        step(
            &format!("alloc extension for {target}"),
            &mut cargo(None, &["build", "-p", "guestmem-alloc", "--target", target]),
        )?;
        step(
            &format!("WASI crate for {target} (no std)"),
            &mut cargo(
                None,
                &[
                    "build",
                    "-p",
                    "guestmem-wasi",
                    "--target",
                    target,
                    "--no-default-features",
                ],
            ),
        )?;
    }
    Ok(())
}

/// Links `core/no-panic` in release for each bare-metal target and prints its sizes.
pub fn no_panic() -> StepResult {
    let dir = root().join("core/no-panic");
    for target in ["thumbv7em-none-eabihf", "thumbv6m-none-eabi"] {
        let mut build = cargo(None, &["build", "--release", "--target", target]);
        build.current_dir(&dir);
        step(&format!("no panic path reachable ({target})"), &mut build)?;
        let elf = dir.join(format!("target/{target}/release/guestmem-no-panic"));
        let sizes = crate::checks::section_sizes(&elf)?;
        println!("    {target}: {sizes}");
    }
    Ok(())
}

/// The Miri runs of DESIGN §6 over core, alloc-ext and tests.
pub fn miri() -> StepResult {
    let runs: [(&str, Option<&str>, &str); 5] = [
        ("Stacked Borrows", None, ""),
        ("Tree Borrows", None, "-Zmiri-tree-borrows"),
        (
            "strict provenance, symbolic alignment",
            None,
            "-Zmiri-strict-provenance -Zmiri-symbolic-alignment-check",
        ),
        ("big-endian s390x", Some("s390x-unknown-linux-gnu"), ""),
        ("32-bit i686", Some("i686-unknown-linux-gnu"), ""),
    ];
    for (name, target, flags) in runs {
        let mut args = vec![
            "miri",
            "test",
            "-p",
            "guestmem",
            "-p",
            "guestmem-alloc",
            "-p",
            "guestmem-tests",
        ];
        if let Some(t) = target {
            args.extend(["--target", t]);
        }
        let mut command = cargo(Some(MIRI_NIGHTLY), &args);
        command.env("MIRIFLAGS", flags);
        step(&format!("miri: {name}"), &mut command)?;
    }
    Ok(())
}

/// `.text`, `.rodata`, `.data` and `.bss` sizes of an ELF file, as one line.
pub fn section_sizes(elf: &std::path::Path) -> Result<String, String> {
    use object::{Object, ObjectSection};
    let data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", elf.display()))?;
    let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
    Ok(format!(
        ".text {} B, .rodata {} B, .data {} B, .bss {} B",
        size(".text"),
        size(".rodata"),
        size(".data"),
        size(".bss")
    ))
}
