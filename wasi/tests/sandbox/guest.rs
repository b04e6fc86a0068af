//! A guest's side of the file functions, for the tests: each call lays its paths and buffers
//! out in a byte array of guest memory and calls the function as the engine glue would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use guestmem::{GuestFrame, GuestPtr};
use guestmem_wasi::fs::Oflags;
use guestmem_wasi::{calls, Errno, Rights, StdHost, WasiCtx};

pub(crate) const RIGHTS_READ: Rights = Rights::FD_READ;
pub(crate) const RIGHTS_WRITE: Rights = Rights::FD_WRITE;

const MEM: usize = 0x10000;
const OUT: u32 = 0x100;
const IOV: u32 = 0x200;
const PATH1: u32 = 0x1000;
const PATH2: u32 = 0x2000;
const DATA: u32 = 0x4000;
const DATA_LEN: u32 = 0x8000;

/// A scratch folder: `root` (the preopen) and, beside it, `outside` holding the sentinels
/// `secret` and `dir/`, which no guest may read or change.
pub(crate) struct Scratch {
    pub(crate) base: PathBuf,
    pub(crate) root: PathBuf,
    pub(crate) outside: PathBuf,
    before: BTreeMap<PathBuf, (Vec<u8>, SystemTime)>,
}

static COUNT: AtomicU32 = AtomicU32::new(0);

/// Every file and folder under `dir` (not following links), with contents and mtime.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let m = std::fs::symlink_metadata(&p).unwrap();
            let content = if m.is_file() {
                std::fs::read(&p).unwrap()
            } else {
                Vec::new()
            };
            if m.is_dir() {
                pending.push(p.clone());
            }
            out.insert(p, (content, m.modified().unwrap()));
        }
    }
    out
}

impl Scratch {
    pub(crate) fn new(name: &str) -> Self {
        let n = COUNT.fetch_add(1, Ordering::Relaxed);
        let base = std::env::temp_dir().join(format!(
            "guestmem-wasi-sandbox-{name}-{}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        let outside = base.join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(outside.join("dir")).unwrap();
        std::fs::write(outside.join("secret"), b"SECRET").unwrap();
        std::fs::write(outside.join("dir/file"), b"OUTSIDE").unwrap();
        let before = snapshot(&outside);
        Scratch {
            base,
            root,
            outside,
            before,
        }
    }

    /// The sentinels beside the root are as they were: same files, contents and times.
    pub(crate) fn assert_outside_untouched(&self) {
        assert_eq!(
            snapshot(&self.outside),
            self.before,
            "outside the root changed"
        );
        // Nothing was created beside `root` and `outside` either.
        let names: Vec<_> = std::fs::read_dir(&self.base)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// A guest with `root` preopened as `/` at fd 3.
pub(crate) struct Guest {
    pub(crate) ctx: WasiCtx<StdHost>,
    mem: Vec<u8>,
    pub(crate) root: u32,
}

type R<T> = Result<T, Errno>;

fn ok(e: Errno) -> R<()> {
    if e == Errno::Success {
        Ok(())
    } else {
        Err(e)
    }
}

impl Guest {
    pub(crate) fn new(s: &Scratch) -> Self {
        let mut host = StdHost::new(Vec::new(), Vec::new());
        let h = host.preopen(&s.root, b"/").unwrap();
        let mut ctx = WasiCtx::new(host);
        let root = ctx.add_preopen(h).unwrap();
        assert_eq!(root, 3);
        Guest {
            ctx,
            mem: vec![0; MEM],
            root,
        }
    }

    /// Lays `bytes` at `at`; returns the guest slice.
    fn put(&mut self, at: u32, bytes: &[u8]) -> (u32, u32) {
        self.mem[at as usize..][..bytes.len()].copy_from_slice(bytes);
        (at, bytes.len() as u32)
    }

    fn u32_at(&self, at: u32) -> u32 {
        u32::from_le_bytes(self.mem[at as usize..][..4].try_into().unwrap())
    }

    pub(crate) fn open_at(
        &mut self,
        dir: u32,
        path: &str,
        o: Oflags,
        follow: bool,
        rights: Rights,
    ) -> R<u32> {
        let p = self.put(PATH1, path.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        ok(calls::path_open(
            &mut self.ctx,
            &mem,
            dir,
            u32::from(follow),
            GuestPtr::new(&mem, p),
            u32::from(o.to_raw()),
            rights.to_raw(),
            0,
            0,
            GuestPtr::new(&mem, OUT),
        ))?;
        Ok(self.u32_at(OUT))
    }

    pub(crate) fn open(&mut self, path: &str, o: Oflags, follow: bool, rights: Rights) -> R<u32> {
        self.open_at(self.root, path, o, follow, rights)
    }

    pub(crate) fn close(&mut self, fd: u32) -> R<()> {
        let mem = GuestFrame::from_slice(&mut self.mem);
        ok(calls::fd_close(&mut self.ctx, &mem, fd))
    }

    pub(crate) fn write(&mut self, fd: u32, data: &[u8]) -> R<u32> {
        let (at, len) = self.put(DATA, data);
        self.put(IOV, &[at.to_le_bytes(), len.to_le_bytes()].concat());
        let mem = GuestFrame::from_slice(&mut self.mem);
        ok(calls::fd_write(
            &mut self.ctx,
            &mem,
            fd,
            GuestPtr::new(&mem, (IOV, 1)),
            GuestPtr::new(&mem, OUT),
        ))?;
        Ok(self.u32_at(OUT))
    }

    pub(crate) fn read_to_end(&mut self, fd: u32) -> R<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            self.put(IOV, &[DATA.to_le_bytes(), DATA_LEN.to_le_bytes()].concat());
            let mem = GuestFrame::from_slice(&mut self.mem);
            ok(calls::fd_read(
                &mut self.ctx,
                &mem,
                fd,
                GuestPtr::new(&mem, (IOV, 1)),
                GuestPtr::new(&mem, OUT),
            ))?;
            let n = self.u32_at(OUT) as usize;
            if n == 0 {
                return Ok(out);
            }
            out.extend_from_slice(&self.mem[DATA as usize..][..n]);
        }
    }

    /// Creates or truncates `path` (following a final link) and writes `data`.
    pub(crate) fn create(&mut self, path: &str, data: &[u8]) -> R<()> {
        self.write_file(path, Oflags::CREAT | Oflags::TRUNC, data)
    }

    pub(crate) fn write_file(&mut self, path: &str, o: Oflags, data: &[u8]) -> R<()> {
        let fd = self.open(path, o, true, RIGHTS_WRITE)?;
        let r = self.write(fd, data);
        self.close(fd).unwrap();
        assert_eq!(r?, data.len() as u32);
        Ok(())
    }

    pub(crate) fn read_file(&mut self, path: &str) -> R<Vec<u8>> {
        let fd = self.open(path, Oflags::empty(), true, RIGHTS_READ)?;
        let r = self.read_to_end(fd);
        self.close(fd).unwrap();
        r
    }

    fn one_path(&mut self, dir: u32, path: &str, f: OnePath) -> R<()> {
        let p = self.put(PATH1, path.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        ok(f(&mut self.ctx, &mem, dir, GuestPtr::new(&mem, p)))
    }

    pub(crate) fn mkdir_at(&mut self, dir: u32, path: &str) -> R<()> {
        self.one_path(dir, path, calls::path_create_directory)
    }

    pub(crate) fn mkdir(&mut self, path: &str) -> R<()> {
        self.mkdir_at(self.root, path)
    }

    pub(crate) fn rmdir(&mut self, path: &str) -> R<()> {
        self.one_path(self.root, path, calls::path_remove_directory)
    }

    pub(crate) fn unlink(&mut self, path: &str) -> R<()> {
        self.one_path(self.root, path, calls::path_unlink_file)
    }

    pub(crate) fn rename(&mut self, from: &str, to: &str) -> R<()> {
        let a = self.put(PATH1, from.as_bytes());
        let b = self.put(PATH2, to.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        let root = self.root;
        ok(calls::path_rename(
            &mut self.ctx,
            &mem,
            root,
            GuestPtr::new(&mem, a),
            root,
            GuestPtr::new(&mem, b),
        ))
    }

    pub(crate) fn symlink(&mut self, target: &str, path: &str) -> R<()> {
        let a = self.put(PATH1, target.as_bytes());
        let b = self.put(PATH2, path.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        let root = self.root;
        ok(calls::path_symlink(
            &mut self.ctx,
            &mem,
            GuestPtr::new(&mem, a),
            root,
            GuestPtr::new(&mem, b),
        ))
    }

    pub(crate) fn readlink(&mut self, path: &str) -> R<Vec<u8>> {
        let p = self.put(PATH1, path.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        let root = self.root;
        ok(calls::path_readlink(
            &mut self.ctx,
            &mem,
            root,
            GuestPtr::new(&mem, p),
            GuestPtr::new(&mem, (DATA, 256)),
            GuestPtr::new(&mem, OUT),
        ))?;
        let n = self.u32_at(OUT) as usize;
        Ok(self.mem[DATA as usize..][..n].to_vec())
    }

    pub(crate) fn path_filestat(&mut self, path: &str, follow: bool) -> R<()> {
        let p = self.put(PATH1, path.as_bytes());
        let mem = GuestFrame::from_slice(&mut self.mem);
        let root = self.root;
        ok(calls::path_filestat_get(
            &mut self.ctx,
            &mem,
            root,
            u32::from(follow),
            GuestPtr::new(&mem, p),
            GuestPtr::new(&mem, DATA),
        ))
    }

    /// The names in directory `path`, read 100 bytes at a time (cookie resumption).
    pub(crate) fn readdir_names(&mut self, path: &str) -> R<Vec<String>> {
        let fd = self.open(path, Oflags::DIRECTORY, true, Rights::FD_READDIR)?;
        let mut names = Vec::new();
        let mut cookie = 0u64;
        let r = loop {
            let mem = GuestFrame::from_slice(&mut self.mem);
            let e = calls::fd_readdir(
                &mut self.ctx,
                &mem,
                fd,
                GuestPtr::new(&mem, (DATA, 100)),
                cookie,
                GuestPtr::new(&mem, OUT),
            );
            if e != Errno::Success {
                break Err(e);
            }
            let used = self.u32_at(OUT) as usize;
            let buf = &self.mem[DATA as usize..][..used];
            let mut at = 0;
            while at + 24 <= used {
                let next = u64::from_le_bytes(buf[at..at + 8].try_into().unwrap());
                let len = u32::from_le_bytes(buf[at + 16..at + 20].try_into().unwrap()) as usize;
                if at + 24 + len > used {
                    break; // cut off: read again from its cookie
                }
                names.push(String::from_utf8(buf[at + 24..at + 24 + len].to_vec()).unwrap());
                cookie = next;
                at += 24 + len;
            }
            if used < 100 {
                break Ok(names);
            }
        };
        self.close(fd).unwrap();
        r
    }
}

type OnePath =
    for<'a> fn(&mut WasiCtx<StdHost>, &'a GuestFrame<'a>, u32, GuestPtr<'a, [u8]>) -> Errno;
