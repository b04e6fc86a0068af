//! Where the firmware's flash and RAM go: sections, the origin of each symbol (wasm3, guestmem
//! core, the binding, guests, the rest), and the per-board budget table.

use std::collections::HashSet;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol, SymbolKind};

use super::{target_dir, Board, Run, LIBRARY_BUDGET};

/// Where the flash bytes of `.text` and `.rodata` come from.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Origin {
    Wasm3,
    Core,
    Binding,
    Guests,
    Firmware,
    RustStd,
    OtherCrates,
    Unattributed,
}

impl Origin {
    const ALL: [Origin; 8] = [
        Origin::Wasm3,
        Origin::Core,
        Origin::Binding,
        Origin::Guests,
        Origin::Firmware,
        Origin::RustStd,
        Origin::OtherCrates,
        Origin::Unattributed,
    ];

    fn label(self) -> &'static str {
        match self {
            Origin::Wasm3 => "wasm3 (C, symbols of libwasm3.a)",
            Origin::Core => "guestmem core (guestmem::)",
            Origin::Binding => "binding + WASI (guestmem_wasm3, _wasi, _example_host)",
            Origin::Guests => "embedded guests (.wasm)",
            Origin::Firmware => "firmware crate (+ library code inlined into it)",
            Origin::RustStd => "Rust core + compiler_builtins (fmt, soft float, mem*)",
            Origin::OtherCrates => "cortex-m, cortex-m-rt, semihosting, heapless",
            Origin::Unattributed => "no symbol (anonymous constants, padding)",
        }
    }

    fn index(self) -> usize {
        Origin::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }

    /// The origin of a symbol: wasm3's C names are known from its archive; Rust names are
    /// classified by the first guestmem crate their mangled name mentions (so
    /// `<firmware::Board as guestmem_wasi::WasiHost>::write` is the firmware's). The binding
    /// counts with the crates it links from one list each: WASI (`guestmem_wasi`) and the
    /// example host functions (`guestmem_example_host`), which it held itself before.
    fn of(name: &str, wasm3: &HashSet<String>) -> Origin {
        if wasm3.contains(name) {
            return Origin::Wasm3;
        }
        if name.starts_with(".L") {
            return Origin::Unattributed; // an anonymous constant: no crate in its name
        }
        if let Some(at) = name.find("guestmem") {
            let after = name.get(at..).unwrap_or("");
            return if after.starts_with("guestmem_firmware") {
                if name.contains("_WASM") {
                    Origin::Guests
                } else {
                    Origin::Firmware
                }
            } else if ["guestmem_wasm3", "guestmem_wasi", "guestmem_example_host"]
                .iter()
                .any(|c| after.starts_with(c))
            {
                Origin::Binding
            } else {
                Origin::Core
            };
        }
        const FIRMWARE_C_NAMES: [&str; 5] = ["strcmp", "strtoul", "strtoull", "main", "SysTick"];
        if FIRMWARE_C_NAMES.contains(&name) {
            return Origin::Firmware;
        }
        let other = [
            "cortex_m",
            "heapless",
            "critical_section",
            "Reset",
            "HardFault",
            "DefaultHandler",
            "DefaultPreInit",
            "__pre_init",
        ];
        if other.iter().any(|o| name.contains(o)) {
            Origin::OtherCrates
        } else {
            Origin::RustStd
        }
    }
}

/// The measured sizes of one image.
pub(super) struct Sizes {
    vector_table: u64,
    text: u64,
    rodata: u64,
    data: u64,
    bss: u64,
    /// `.text` + `.rodata` bytes per [`Origin`].
    origins: [u64; 8],
    /// Names of panic machinery found in the image (must be none).
    panics: Vec<String>,
}

impl Sizes {
    pub(super) fn of(board: &Board, elf: &Path) -> Result<Sizes, String> {
        let data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
        let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", elf.display()))?;
        let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
        let wasm3 = wasm3_symbols(board)?;
        // Symbols of .text and .rodata as [start, end) intervals; aliases and overlaps are
        // counted once (thumb function addresses have bit 0 set).
        let flash_sections: Vec<_> = [".text", ".rodata"]
            .iter()
            .filter_map(|n| file.section_by_name(n).map(|s| s.index()))
            .collect();
        let mut spans = Vec::new();
        let mut panics = Vec::new();
        for sym in file.symbols() {
            let Ok(name) = sym.name() else { continue };
            if name.contains("panicking") || name.contains("panic_fmt") {
                panics.push(name.to_string());
            }
            let in_flash = sym
                .section_index()
                .is_some_and(|i| flash_sections.contains(&i));
            if !in_flash
                || sym.size() == 0
                || matches!(sym.kind(), SymbolKind::Section | SymbolKind::File)
            {
                continue;
            }
            let start = sym.address() & !1;
            spans.push((
                start,
                start.saturating_add(sym.size()),
                Origin::of(name, &wasm3),
            ));
        }
        spans.sort_by_key(|(start, end, _)| (*start, std::cmp::Reverse(*end)));
        let mut origins = [0u64; 8];
        let mut covered = 0u64;
        for (start, end, origin) in spans {
            let from = start.max(covered);
            if end > from {
                if let Some(slot) = origins.get_mut(origin.index()) {
                    *slot = slot.saturating_add(end.saturating_sub(from));
                }
                covered = end;
            }
        }
        let (text, rodata) = (size(".text"), size(".rodata"));
        // Bytes no crate can be named for: anonymous constants and what no symbol covers.
        let unattributed = Origin::Unattributed.index();
        let named: u64 = origins
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != unattributed)
            .map(|(_, bytes)| bytes)
            .sum();
        if let Some(slot) = origins.get_mut(unattributed) {
            *slot = text.saturating_add(rodata).saturating_sub(named);
        }
        Ok(Sizes {
            vector_table: size(".vector_table"),
            text,
            rodata,
            data: size(".data"),
            bss: size(".bss").saturating_add(size(".uninit")),
            origins,
            panics,
        })
    }

    fn origin(&self, o: Origin) -> u64 {
        self.origins.get(o.index()).copied().unwrap_or(0)
    }

    /// The section sizes of an image that holds no wasm3 (the wasmi firmware); no breakdown
    /// by crate.
    pub(super) fn of_other(elf: &Path) -> Result<Sizes, String> {
        let data = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
        let file = object::File::parse(&*data).map_err(|e| format!("{}: {e}", elf.display()))?;
        let size = |name: &str| file.section_by_name(name).map_or(0, |s| s.size());
        Ok(Sizes {
            vector_table: size(".vector_table"),
            text: size(".text"),
            rodata: size(".rodata"),
            data: size(".data"),
            bss: size(".bss").saturating_add(size(".uninit")),
            origins: [0; 8],
            panics: Vec::new(),
        })
    }

    /// Static RAM: `.data` and `.bss` (with `.uninit`).
    pub(super) fn static_ram(&self) -> u64 {
        self.data.saturating_add(self.bss)
    }

    /// What the image puts in flash: the vector table, code, constants and initial data.
    pub(super) fn flash(&self) -> u64 {
        self.vector_table
            .saturating_add(self.text)
            .saturating_add(self.rodata)
            .saturating_add(self.data)
    }
}

/// Every symbol defined in the newest `libwasm3.a` that wasm3-sys built for `board`.
fn wasm3_symbols(board: &Board) -> Result<HashSet<String>, String> {
    let build = target_dir()
        .join(board.target)
        .join("release")
        .join("build");
    let entries = std::fs::read_dir(&build).map_err(|e| format!("{}: {e}", build.display()))?;
    let archive = entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("wasm3-sys-"))
        .map(|e| e.path().join("out").join("libwasm3.a"))
        .filter(|p| p.is_file())
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .ok_or_else(|| format!("no libwasm3.a under {}", build.display()))?;
    let bytes = std::fs::read(&archive).map_err(|e| format!("{}: {e}", archive.display()))?;
    let mut names = HashSet::new();
    for member in
        ar_members(&bytes).ok_or_else(|| format!("{}: not an ar archive", archive.display()))?
    {
        if !member.starts_with(b"\x7fELF") {
            continue; // the symbol table and the long-name table
        }
        let obj = object::File::parse(member).map_err(|e| format!("{}: {e}", archive.display()))?;
        for sym in obj.symbols() {
            if sym.is_definition() && !matches!(sym.kind(), SymbolKind::Section | SymbolKind::File)
            {
                if let Ok(name) = sym.name() {
                    names.insert(name.to_string());
                }
            }
        }
    }
    Ok(names)
}

/// The members of a System V / GNU `ar` archive (`object` is built without its archive
/// reader here): `!<arch>\n`, then per member a 60-byte header whose bytes 48..58 are the
/// decimal size, and the data padded to an even length.
fn ar_members(bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut rest = bytes.strip_prefix(b"!<arch>\n")?;
    let mut members = Vec::new();
    while rest.len() >= 60 {
        let header = rest.get(..60)?;
        let size: usize = std::str::from_utf8(header.get(48..58)?)
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let body = rest.get(60..)?;
        members.push(body.get(..size)?);
        let padded = size.checked_add(size % 2)?;
        rest = body.get(padded.min(body.len())..)?;
    }
    Some(members)
}

fn kib(bytes: u64) -> String {
    let tenths = bytes.saturating_mul(10).saturating_add(512) / 1024;
    format!("{}.{}", tenths / 10, tenths % 10)
}

/// Prints the table of one board (`s`, the shipped image; `bench`, its measurement image) and
/// records the budgets it misses.
pub(super) fn print_table(
    board: &Board,
    s: &Sizes,
    bench: &Sizes,
    runs: &[Run],
    failures: &mut Vec<String>,
) {
    let row = |label: &str, bytes: u64, note: &str| {
        println!("  {label:<56} {bytes:>7} B {:>6} KiB  {note}", kib(bytes));
    };
    println!("\n{} ({}):", board.name, board.target);
    let flash = s.flash();
    let (flash_limit, ram_limit) = board.limits.unzip();
    let verdict =
        |used: u64, limit: Option<u64>, what: &str, failures: &mut Vec<String>| match limit {
            Some(l) if used > l => {
                failures.push(format!("{}: {what} {used} B > {l} B", board.name));
                format!("OVER the {} KiB budget", l / 1024)
            }
            Some(l) => format!("budget {} KiB: ok", l / 1024),
            None => String::new(),
        };
    println!("  flash");
    row(".text + .rodata", s.text.saturating_add(s.rodata), "");
    let by_origin = Origin::ALL.map(|o| (o, s.origin(o)));
    for (o, bytes) in by_origin {
        row(&format!("  {}", o.label()), bytes, "");
    }
    let library = s
        .origin(Origin::Core)
        .saturating_add(s.origin(Origin::Binding));
    let note = if board.library_budget {
        verdict(
            library,
            Some(LIBRARY_BUDGET),
            "guestmem core + binding + WASI",
            failures,
        )
    } else {
        String::new()
    };
    row("  = guestmem core + binding + WASI", library, &note);
    row(
        ".vector_table + .data (initial values)",
        s.vector_table.saturating_add(s.data),
        "",
    );
    let note = verdict(flash, flash_limit, "flash", failures);
    row("flash total", flash, &note);
    row(
        "measurement image (--features bench; not shipped)",
        bench.flash(),
        &format!(
            "+{} B: bench guest, C and fastest host functions, sink",
            bench.flash().saturating_sub(flash)
        ),
    );
    println!(
        "  (by symbol: code inlined across crates counts where it lands, anonymous constants \
         and C string literals under \"no symbol\")"
    );
    println!("  RAM");
    let heap_used = runs.iter().filter_map(|r| r.heap).max().unwrap_or(0);
    let (stack, deepest) = runs
        .iter()
        .filter_map(|r| r.stack.map(|st| (st, r.guest)))
        .max()
        .unwrap_or((0, "-"));
    row(".data", s.data, "");
    row(
        ".bss (wasm3's fixed heap inside)",
        s.bss,
        &format!("heap used at most {heap_used} B"),
    );
    row("stack high-water (deepest guest)", stack, deepest);
    let ram = s.data.saturating_add(s.bss).saturating_add(stack);
    let note = verdict(ram, ram_limit, "RAM", failures);
    row("RAM total", ram, &note);
    if s.panics.is_empty() {
        println!(
            "  panic: links with a handler that calls an undefined symbol; \
             no core::panicking code in the image"
        );
    } else {
        failures.push(format!(
            "{}: panic code in the image: {:?}",
            board.name, s.panics
        ));
    }
    let runs_line: Vec<String> = runs
        .iter()
        .map(|r| {
            format!(
                "{} {} ({:.2} s)",
                r.guest,
                if r.ok { "ok" } else { "FAILED" },
                r.secs
            )
        })
        .collect();
    println!("  guests: {}", runs_line.join(", "));
}
