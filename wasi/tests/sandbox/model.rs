//! Random sequences of create, read, write, mkdir, rmdir, unlink, rename and symlink, with
//! paths made of `a`, `b`, `link`, `.`, `..` (absolute or not, with doubled slashes), run by a
//! guest on `StdHost` and on an in-memory model of the sandboxed tree: each operation must
//! succeed or fail on both alike, reads must return the same bytes, the trees must be the
//! same after every step, and the sentinels outside the root must never change.
//!
//! The model resolves a path as the sandbox must: components from the root, `..` never above
//! it, an absolute path or a symbolic link to one refused (and never made), a link's target
//! resolved from the link's directory, at most 40 links.

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use guestmem_wasi::fs::Oflags;
use proptest::prelude::*;

use crate::guest::{Guest, Scratch};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Node {
    Dir,
    File(Vec<u8>),
    Link(String),
}

/// The tree beneath the root: a path (components from the root) to what it is.
type Tree = BTreeMap<Vec<String>, Node>;

/// Where a path leads: a directory (components) and, unless the path ends at the directory
/// itself (`.` or `..` last), a name in it.
type Place = (Vec<String>, Option<String>);

/// Resolves `path` in `tree`; a final link is followed when `follow`.
fn resolve(tree: &Tree, path: &str, follow: bool) -> Option<Place> {
    if path.starts_with('/') || path.is_empty() {
        return None;
    }
    let mut todo: Vec<String> = path.split('/').rev().map(str::to_string).collect();
    let mut dir: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        let last = todo.is_empty();
        match c.as_str() {
            "" | "." => {
                if last {
                    return Some((dir, None));
                }
            }
            ".." => {
                dir.pop()?;
                if last {
                    return Some((dir, None));
                }
            }
            name => {
                let mut at = dir.clone();
                at.push(name.to_string());
                match tree.get(&at) {
                    Some(Node::Link(target)) if !last || follow => {
                        links += 1;
                        if links > 40 || target.starts_with('/') || target.is_empty() {
                            return None;
                        }
                        todo.extend(target.split('/').rev().map(str::to_string));
                    }
                    _ if last => return Some((dir, Some(name.to_string()))),
                    Some(Node::Dir) => dir = at,
                    _ => return None,
                }
            }
        }
    }
    Some((dir, None))
}

fn join(dir: &[String], name: &str) -> Vec<String> {
    let mut p = dir.to_vec();
    p.push(name.to_string());
    p
}

/// The node at a place (the directory itself when there is no name).
fn at(tree: &Tree, (dir, name): &Place) -> Option<Node> {
    match name {
        None => Some(Node::Dir),
        Some(n) => tree.get(&join(dir, n)).cloned(),
    }
}

#[derive(Clone, Debug)]
enum Op {
    Create(String, u8),
    Write(String, u8),
    Read(String),
    Mkdir(String),
    Rmdir(String),
    Unlink(String),
    Rename(String, String),
    Symlink(String, String),
}

/// Applies `op` to the model; `Err(())` when it must fail, `Ok(Some(bytes))` for a read.
fn apply(tree: &mut Tree, op: &Op) -> Result<Option<Vec<u8>>, ()> {
    let named = |p: Option<Place>| match p {
        Some((dir, Some(name))) => Ok(join(&dir, &name)),
        _ => Err(()),
    };
    match op {
        Op::Create(path, b) | Op::Write(path, b) => {
            let place = resolve(tree, path, true).ok_or(())?;
            match at(tree, &place) {
                Some(Node::File(_)) => {}
                None if matches!(op, Op::Create(..)) => {}
                _ => return Err(()),
            }
            tree.insert(named(Some(place))?, Node::File(vec![*b; 3]));
            Ok(None)
        }
        Op::Read(path) => {
            let place = resolve(tree, path, true).ok_or(())?;
            match at(tree, &place) {
                Some(Node::File(bytes)) => Ok(Some(bytes)),
                _ => Err(()),
            }
        }
        Op::Mkdir(path) => {
            let p = named(resolve(tree, path, false))?;
            if tree.contains_key(&p) {
                return Err(());
            }
            tree.insert(p, Node::Dir);
            Ok(None)
        }
        Op::Rmdir(path) => {
            let p = named(resolve(tree, path, false))?;
            if tree.get(&p) != Some(&Node::Dir)
                || tree.keys().any(|k| k.len() > p.len() && k.starts_with(&p))
            {
                return Err(());
            }
            tree.remove(&p);
            Ok(None)
        }
        Op::Unlink(path) => {
            let p = named(resolve(tree, path, false))?;
            match tree.get(&p) {
                Some(Node::File(_) | Node::Link(_)) => {
                    tree.remove(&p);
                    Ok(None)
                }
                _ => Err(()),
            }
        }
        Op::Symlink(target, path) => {
            // An absolute target could never be followed: cap-std refuses to make one.
            if target.starts_with('/') {
                return Err(());
            }
            let p = named(resolve(tree, path, false))?;
            if tree.contains_key(&p) {
                return Err(());
            }
            tree.insert(p, Node::Link(target.clone()));
            Ok(None)
        }
        Op::Rename(from, to) => {
            let src = named(resolve(tree, from, false))?;
            let dst = named(resolve(tree, to, false))?;
            let node = tree.get(&src).cloned().ok_or(())?;
            if src == dst {
                return Ok(None);
            }
            let dst_has_children = tree
                .keys()
                .any(|k| k.len() > dst.len() && k.starts_with(&dst));
            match (&node, tree.get(&dst)) {
                (Node::Dir, Some(Node::Dir)) if dst_has_children => return Err(()),
                (Node::Dir, Some(Node::Dir)) => {}
                (Node::Dir, Some(_)) | (_, Some(Node::Dir)) => return Err(()),
                _ => {}
            }
            if node == Node::Dir && dst.starts_with(&src) {
                return Err(());
            }
            let moved: Vec<(Vec<String>, Node)> = tree
                .iter()
                .filter(|(k, _)| k.starts_with(&src))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (k, _) in &moved {
                tree.remove(k);
            }
            for (k, v) in moved {
                let mut nk = dst.clone();
                nk.extend_from_slice(&k[src.len()..]);
                tree.insert(nk, v);
            }
            Ok(None)
        }
    }
}

/// The tree on the host beneath `root`, not following links.
fn host_tree(root: &Path) -> Tree {
    let mut out = Tree::new();
    let mut pending = vec![(root.to_path_buf(), Vec::new())];
    while let Some((d, comps)) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_str().unwrap().to_string();
            let mut p: Vec<String> = comps.clone();
            p.push(name);
            let t = e.file_type().unwrap();
            let node = if t.is_symlink() {
                let target = std::fs::read_link(e.path()).unwrap();
                Node::Link(String::from_utf8(target.as_os_str().as_bytes().to_vec()).unwrap())
            } else if t.is_dir() {
                pending.push((e.path(), p.clone()));
                Node::Dir
            } else {
                Node::File(std::fs::read(e.path()).unwrap())
            };
            out.insert(p, node);
        }
    }
    out
}

fn path() -> impl Strategy<Value = String> {
    let comp = prop_oneof![
        4 => Just("a"),
        4 => Just("b"),
        3 => Just("link"),
        1 => Just("."),
        2 => Just(".."),
    ];
    (
        prop::collection::vec(comp, 1..4),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.05),
    )
        .prop_map(|(cs, absolute, double)| {
            let sep = if double { "//" } else { "/" };
            let p = cs.join(sep);
            if absolute {
                format!("/{p}")
            } else {
                p
            }
        })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (path(), any::<u8>()).prop_map(|(p, b)| Op::Create(p, b)),
        1 => (path(), any::<u8>()).prop_map(|(p, b)| Op::Write(p, b)),
        2 => path().prop_map(Op::Read),
        3 => path().prop_map(Op::Mkdir),
        1 => path().prop_map(Op::Rmdir),
        1 => path().prop_map(Op::Unlink),
        2 => (path(), path()).prop_map(|(a, b)| Op::Rename(a, b)),
        3 => (path(), path()).prop_map(|(t, p)| Op::Symlink(t, p)),
    ]
}

/// Runs `op` through the guest.
fn run(g: &mut Guest, op: &Op) -> Result<Option<Vec<u8>>, guestmem_wasi::Errno> {
    match op {
        Op::Create(p, b) => g.create(p, &[*b; 3]).map(|()| None),
        Op::Write(p, b) => g.write_file(p, Oflags::TRUNC, &[*b; 3]).map(|()| None),
        Op::Read(p) => g.read_file(p).map(Some),
        Op::Mkdir(p) => g.mkdir(p).map(|()| None),
        Op::Rmdir(p) => g.rmdir(p).map(|()| None),
        Op::Unlink(p) => g.unlink(p).map(|()| None),
        Op::Rename(a, b) => g.rename(a, b).map(|()| None),
        Op::Symlink(t, p) => g.symlink(t, p).map(|()| None),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn the_sandbox_agrees_with_the_model(ops in prop::collection::vec(op(), 1..24)) {
        let s = Scratch::new("model");
        // A link out of the root from the start, and one to a directory inside.
        std::os::unix::fs::symlink("../outside", s.root.join("link")).unwrap();
        let mut tree = host_tree(&s.root);
        let mut g = Guest::new(&s);
        for (i, op) in ops.iter().enumerate() {
            let want = apply(&mut tree, op);
            let got = run(&mut g, op);
            prop_assert_eq!(
                want.is_ok(),
                got.is_ok(),
                "step {}: {:?}: model {:?}, sandbox {:?}", i, op, want, got
            );
            if let (Ok(w), Ok(g)) = (&want, &got) {
                prop_assert_eq!(w, g, "step {}: {:?}", i, op);
            }
            prop_assert_eq!(&host_tree(&s.root), &tree, "after step {}: {:?}", i, op);
            s.assert_outside_untouched();
        }
    }
}
