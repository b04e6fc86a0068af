//! A Rust guest: arguments, environment, clocks and random numbers (std's `HashMap` seeds
//! itself with `random_get`), built for MVP WebAssembly.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("rust guest: {} argument(s): {:?}", args.len(), args);
    let mut vars: Vec<(String, String)> = std::env::vars().collect();
    vars.sort();
    for (k, v) in &vars {
        println!("rust guest: env {k}={v}");
    }
    let start = Instant::now();
    let mut words: HashMap<&str, usize> = HashMap::new();
    for w in "the quick brown fox jumps over the lazy dog the end".split(' ') {
        *words.entry(w).or_default() += 1;
    }
    let mut counts: Vec<_> = words.into_iter().collect();
    counts.sort();
    println!("rust guest: word counts {counts:?}");
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    println!("rust guest: realtime after 2020: {}", since_epoch > 1_577_836_800);
    println!("rust guest: monotonic clock advanced: {}", start.elapsed().as_nanos() > 0);
    if let Some(code) = std::env::var("EXIT_CODE").ok().and_then(|c| c.parse().ok()) {
        std::process::exit(code);
    }
}
