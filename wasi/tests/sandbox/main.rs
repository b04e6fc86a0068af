//! The sandbox of `StdHost`'s preopened directories, through the WASI functions as a guest
//! calls them: no guest path reaches outside its preopen — not by `..`, an absolute path, a
//! symbolic link (absolute or relative, created by the host or the guest, swapped in while the
//! guest opens through it), nor through a descriptor the guest does not hold, that is a file,
//! or that it closed. Each test has a sentinel file and directory beside the root and checks
//! they are never read or changed; `model.rs` checks random operation sequences against an
//! in-memory model of the sandboxed tree.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::as_conversions,
    clippy::arithmetic_side_effects
)]

mod guest;
mod model;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use guest::{Guest, Scratch, RIGHTS_READ, RIGHTS_WRITE};
use guestmem_wasi::fs::Oflags;
use guestmem_wasi::Errno;

/// What a refused escape may answer: cap-std's "outside the directory" (`EPERM`), or a path
/// that does not resolve at all inside.
#[track_caller]
fn refused(r: Result<impl std::fmt::Debug, Errno>) {
    match r {
        Err(Errno::Perm | Errno::Notcapable | Errno::Noent | Errno::Loop) => {}
        other => panic!("an escape was not refused: {other:?}"),
    }
}

#[test]
fn dot_dot_cannot_leave_the_root() {
    let s = Scratch::new("dotdot");
    let mut g = Guest::new(&s);
    g.mkdir("a").unwrap();
    for path in [
        "..",
        "../outside/secret",
        "a/../../outside/secret",
        "a/../a/../../outside/secret",
        "./../outside",
    ] {
        refused(g.open(path, Oflags::empty(), true, RIGHTS_READ));
        refused(g.open(path, Oflags::CREAT, true, RIGHTS_WRITE));
        assert!(g.mkdir(&format!("{path}/new")).is_err());
        assert!(g.unlink(path).is_err());
    }
    // `..` that stays inside is fine.
    g.create("a/f", b"inside").unwrap();
    assert_eq!(g.read_file("a/../a/./f").unwrap(), b"inside");
    s.assert_outside_untouched();
}

#[test]
fn absolute_paths_are_refused() {
    let s = Scratch::new("absolute");
    let mut g = Guest::new(&s);
    let secret = s.outside.join("secret");
    for path in ["/", "/etc/passwd", secret.to_str().unwrap(), "//x"] {
        refused(g.open(path, Oflags::empty(), true, RIGHTS_READ));
        refused(g.open(path, Oflags::CREAT, true, RIGHTS_WRITE));
    }
    s.assert_outside_untouched();
}

#[test]
fn symlinks_to_outside_are_refused() {
    let s = Scratch::new("symlinks");
    let secret = s.outside.join("secret");
    // Made by the host: absolute and relative, to the file and to its directory.
    std::os::unix::fs::symlink(&secret, s.root.join("abs")).unwrap();
    std::os::unix::fs::symlink("../outside/secret", s.root.join("rel")).unwrap();
    std::os::unix::fs::symlink(&s.outside, s.root.join("absdir")).unwrap();
    std::os::unix::fs::symlink("../outside", s.root.join("reldir")).unwrap();
    std::fs::create_dir(s.root.join("sub")).unwrap();
    std::os::unix::fs::symlink("../../outside", s.root.join("sub/deep")).unwrap();
    let mut g = Guest::new(&s);
    // Made by the guest, the same ones: an absolute target is refused at once (cap-std
    // could never follow it), relative ones are made and refused when followed.
    assert_eq!(
        g.symlink(secret.to_str().unwrap(), "gabs"),
        Err(Errno::Perm)
    );
    g.symlink("../outside/secret", "grel").unwrap();
    g.symlink("../outside", "greldir").unwrap();
    g.symlink("sub/deep", "chain").unwrap();
    for link in ["abs", "rel", "grel"] {
        refused(g.open(link, Oflags::empty(), true, RIGHTS_READ));
        refused(g.open(link, Oflags::TRUNC, true, RIGHTS_WRITE));
        refused(g.open(link, Oflags::CREAT, true, RIGHTS_WRITE));
        refused(g.path_filestat(link, true));
    }
    for dir in ["absdir", "reldir", "greldir", "sub/deep", "chain"] {
        refused(g.open(&format!("{dir}/secret"), Oflags::empty(), true, RIGHTS_READ));
        refused(g.open(&format!("{dir}/new"), Oflags::CREAT, true, RIGHTS_WRITE));
        assert!(g.mkdir(&format!("{dir}/newdir")).is_err());
        assert!(g.unlink(&format!("{dir}/secret")).is_err());
        assert!(g.rename("sub", &format!("{dir}/moved")).is_err());
        assert!(g.symlink("x", &format!("{dir}/planted")).is_err());
        refused(g.readdir_names(dir));
    }
    // Without following, the link itself is what the guest sees, and removing it removes
    // only the link.
    assert_eq!(g.readlink("rel").unwrap(), b"../outside/secret");
    g.unlink("rel").unwrap();
    g.unlink("reldir").unwrap();
    s.assert_outside_untouched();
}

#[test]
fn only_held_directories_are_usable() {
    let s = Scratch::new("dirfds");
    let mut g = Guest::new(&s);
    g.create("file", b"data").unwrap();
    // A descriptor the guest never had, a standard stream, a file, a closed directory.
    for (fd, want) in [
        (17, Errno::Badf),
        (u32::MAX, Errno::Badf),
        (1, Errno::Notdir),
    ] {
        assert_eq!(
            g.open_at(fd, "file", Oflags::empty(), true, RIGHTS_READ),
            Err(want)
        );
        assert_eq!(g.mkdir_at(fd, "x"), Err(want));
    }
    let file = g.open("file", Oflags::empty(), true, RIGHTS_READ).unwrap();
    assert_eq!(
        g.open_at(file, "x", Oflags::CREAT, true, RIGHTS_WRITE),
        Err(Errno::Notdir)
    );
    assert_eq!(g.mkdir_at(file, "x"), Err(Errno::Notdir));
    g.mkdir("d").unwrap();
    let d = g.open("d", Oflags::DIRECTORY, true, RIGHTS_READ).unwrap();
    g.close(d).unwrap();
    assert_eq!(g.mkdir_at(d, "x"), Err(Errno::Badf));
    assert_eq!(g.close(d), Err(Errno::Badf));
    s.assert_outside_untouched();
}

/// A thread swaps a symbolic link between a file inside and the sentinel outside, by
/// atomic renames, while the guest opens through it over and over, to read and to write:
/// every open either fails or reaches the inside file, and the sentinel never changes.
#[test]
fn a_symlink_swapped_between_check_and_use_never_leads_outside() {
    let s = Scratch::new("race");
    std::fs::write(s.root.join("inside"), b"inside").unwrap();
    std::os::unix::fs::symlink("inside", s.root.join("to_inside")).unwrap();
    std::os::unix::fs::symlink("../outside/secret", s.root.join("to_outside")).unwrap();
    std::os::unix::fs::symlink(s.outside.join("secret"), s.root.join("to_outside_abs")).unwrap();
    std::os::unix::fs::symlink("inside", s.root.join("flip")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let flipper = {
        let (root, stop) = (s.root.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut swaps = 0u64;
            while !stop.load(Ordering::Relaxed) {
                for target in ["to_outside", "to_inside", "to_outside_abs", "to_inside"] {
                    // Copy the link, then rename the copy over `flip`: atomic.
                    let tmp = root.join("flip.tmp");
                    let _ = std::fs::remove_file(&tmp);
                    let swapped = std::fs::read_link(root.join(target))
                        .and_then(|t| std::os::unix::fs::symlink(t, &tmp))
                        .and_then(|()| std::fs::rename(&tmp, root.join("flip")));
                    if swapped.is_err() {
                        return swaps; // the test ended early
                    }
                    swaps += 1;
                }
            }
            swaps
        })
    };
    let mut g = Guest::new(&s);
    let (mut inside, mut refusals) = (0u32, 0u32);
    // At least 4000 opens, and on until both outcomes were seen (a busy machine may starve
    // the swapping thread for a while).
    for i in 0..100_000 {
        if i >= 4000 && inside > 0 && refusals > 0 {
            break;
        }
        let write = i % 2 == 1;
        let rights = if write { RIGHTS_WRITE } else { RIGHTS_READ };
        match g.open("flip", Oflags::empty(), true, rights) {
            Ok(fd) => {
                if write {
                    g.write(fd, b"inside").unwrap();
                } else {
                    // Written, or just truncated by the open below.
                    let got = g.read_to_end(fd).unwrap();
                    assert!(got == b"inside" || got.is_empty(), "{got:?}");
                }
                g.close(fd).unwrap();
                inside += 1;
            }
            Err(e) => {
                assert!(
                    matches!(e, Errno::Perm | Errno::Noent | Errno::Loop),
                    "{e:?}"
                );
                refusals += 1;
            }
        }
        // The outside file through a path that only a swapped link could make reach it.
        if let Ok(fd) = g.open("flip", Oflags::TRUNC, true, RIGHTS_WRITE) {
            g.close(fd).unwrap();
        }
    }
    stop.store(true, Ordering::Relaxed);
    let swaps = flipper.join().unwrap();
    assert!(swaps > 0, "the link was never swapped");
    assert!(
        inside > 0 && refusals > 0,
        "{inside} inside, {refusals} refused"
    );
    s.assert_outside_untouched();
}

#[test]
fn a_missing_or_unreadable_preopen_is_an_error() {
    let mut host = guestmem_wasi::StdHost::new(Vec::new(), Vec::new());
    assert!(host.preopen(Path::new("/nonexistent/dir"), b"/").is_err());
    let s = Scratch::new("notadir");
    std::fs::write(s.root.join("f"), b"").unwrap();
    assert!(host.preopen(&s.root.join("f"), b"/").is_err());
}
