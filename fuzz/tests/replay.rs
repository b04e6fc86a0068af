//! Replays the checked-in corpus: every file of `corpus/<target>/` through its target's
//! `run`, on stable, without a fuzzing engine. A panic is a finding (or a regression).
// A test reports by panicking.
#![allow(clippy::panic)]

use std::path::Path;

#[test]
fn every_corpus_file_runs_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut total = 0usize;
    for &(name, run) in guestmem_fuzz::TARGETS {
        let dir = root.join(name);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        files.sort();
        assert!(!files.is_empty(), "no corpus for target {name}");
        for file in &files {
            let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            println!("{name}: {}", file.display());
            run(&data);
        }
        println!("{name}: {} inputs", files.len());
        total += files.len();
    }
    assert!(total > 0);
}

#[test]
fn every_corpus_folder_is_a_finished_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for entry in std::fs::read_dir(&root).unwrap_or_else(|e| panic!("{}: {e}", root.display())) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        assert!(
            guestmem_fuzz::TARGETS.iter().any(|&(t, _)| t == name),
            "corpus folder {name} has no finished target: it would never be replayed"
        );
    }
}
