//! Files through guestmem's WASI: run with a directory preopened as `/data` holding
//! `greeting.txt` (`guestmem-wasm3 run --dir DIR::/data rust-files.wasm`). Reads the file,
//! lists the directory, stats the file, writes a new one and renames it, then shows that a
//! path out of the directory is refused.

use std::fs;
use std::io;

fn main() -> io::Result<()> {
    let dir = "/data";
    let greeting = fs::read_to_string(format!("{dir}/greeting.txt"))?;
    println!("read greeting.txt: {}", greeting.trim_end());

    let mut names = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<io::Result<Vec<_>>>()?;
    names.sort();
    println!("{dir} holds: {}", names.join(", "));

    let meta = fs::metadata(format!("{dir}/greeting.txt"))?;
    println!("greeting.txt: {} bytes, a file: {}", meta.len(), meta.is_file());

    fs::write(format!("{dir}/new.txt"), "written by the guest\n")?;
    fs::rename(format!("{dir}/new.txt"), format!("{dir}/renamed.txt"))?;
    let renamed = fs::read_to_string(format!("{dir}/renamed.txt"))?;
    println!("wrote new.txt, renamed it: renamed.txt says {}", renamed.trim_end());

    match fs::read_to_string(format!("{dir}/../outside.txt")) {
        Ok(_) => println!("../outside.txt: read (the sandbox leaked!)"),
        Err(e) => println!("../outside.txt: refused ({:?})", e.kind()),
    }
    Ok(())
}
