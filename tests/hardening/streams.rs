//! Streams and terminals on a real engine: 100 MiB through `run -i … cat`
//! intact, and `run -it … sh` under tmux behaving as a terminal.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::engines::bed_env;
use crate::harness::Env;
use crate::harness::testbed::IMAGE;
use crate::harness::tmux::Tmux;

const STREAM: usize = 100 << 20;
const BLOCK: usize = 1 << 20;

/// The stream: a random 1 MiB block (xorshift64*), each copy stamped with
/// its number, so that lost, repeated or reordered blocks show.
struct Stream {
    block: Vec<u8>,
}

impl Stream {
    fn new() -> Stream {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut block = Vec::with_capacity(BLOCK);
        while block.len() < BLOCK {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            block.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
        }
        Stream { block }
    }

    /// Bytes `at..at + len` of the stream (within one block).
    fn slice(&self, at: usize, out: &mut Vec<u8>) {
        let (k, off) = (at / BLOCK, at % BLOCK);
        out.clear();
        out.extend_from_slice(&self.block);
        out[..8].copy_from_slice(&(k as u64).to_le_bytes());
        out.drain(..off);
    }
}

/// A checksum over 64-bit words (FNV-1a style): cheap enough for an
/// unoptimized test build.
#[derive(Default)]
struct Sum {
    h: u64,
    tail: Vec<u8>,
}

impl Sum {
    fn add(&mut self, mut data: &[u8]) {
        if !self.tail.is_empty() {
            let need = 8 - self.tail.len();
            let take = need.min(data.len());
            self.tail.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.tail.len() < 8 {
                return;
            }
            let w = u64::from_le_bytes(self.tail[..].try_into().unwrap());
            self.word(w);
            self.tail.clear();
        }
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            self.word(u64::from_le_bytes(w.try_into().unwrap()));
        }
        self.tail.extend_from_slice(words.remainder());
    }

    fn word(&mut self, w: u64) {
        self.h = (self.h ^ w).wrapping_mul(0x100_0000_01b3);
    }
}

#[test]
fn a_100_mib_stream_passes_intact_through_run_i_cat() {
    let env = bed_env();
    let stream = std::sync::Arc::new(Stream::new());
    let start = Instant::now();
    let mut child = env
        .cmd("pg-docker")
        .args(["run", "-i", "--rm", "--network", "none", IMAGE, "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let s2 = stream.clone();
    let writer = std::thread::spawn(move || {
        let (mut buf, mut sum) = (Vec::new(), Sum::default());
        for at in (0..STREAM).step_by(BLOCK) {
            s2.slice(at, &mut buf);
            sum.add(&buf);
            stdin.write_all(&buf).unwrap();
        }
        sum.h
    });
    let mut stdout = child.stdout.take().unwrap();
    let (mut got, mut want) = (vec![0; 256 << 10], Vec::new());
    let (mut total, mut sum, mut first_diff) = (0usize, Sum::default(), None);
    loop {
        let n = stdout.read(&mut got[..]).unwrap();
        if n == 0 {
            break;
        }
        // Compare block by block with what was sent.
        let mut done = 0;
        while done < n && total + done < STREAM {
            stream.slice(total + done, &mut want);
            let m = want.len().min(n - done);
            if first_diff.is_none() && want[..m] != got[done..done + m] {
                first_diff = Some(total + done);
            }
            done += m;
        }
        sum.add(&got[..n]);
        total += n;
    }
    let sent = writer.join().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    let took = start.elapsed();
    eprintln!(
        "streams: {} MiB through pg-docker run -i … cat in {took:.1?}: checksum sent {sent:016x}, \
         received {:016x}, {total} bytes back",
        STREAM >> 20,
        sum.h
    );
    assert!(status.success(), "{status:?}: {err}");
    assert_eq!(total, STREAM, "{err}");
    assert_eq!(first_diff, None, "first differing block at byte");
    assert_eq!(sum.h, sent);
}

/// A tmux server whose panes get `env`'s environment (PATH with the
/// engine commands), running `script` in a window of `size`.
pub(crate) fn tmux(env: &Env, what: &str, size: (u16, u16), script: &str) -> Tmux {
    let mut base = env.program("tmux");
    base.env("TERM", "xterm-256color");
    Tmux::launch(what, size, base, None, &["sh", "-c", script])
}

/// The screen once `ready` holds for it (60 s at most).
pub(crate) fn wait(tmux: &Tmux, what: &str, ready: impl Fn(&str) -> bool) -> String {
    tmux.wait_until(what, Duration::from_secs(60), ready)
}

fn wait_file(path: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{} never written",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn run_it_sh_under_tmux_behaves_as_a_terminal() {
    let env = bed_env();
    let exit_file = env.root().join("exit");
    let script = format!(
        "pg-docker run -it --rm --network none {IMAGE} sh; echo $? > '{}'; sleep 30",
        exit_file.display()
    );
    let start = Instant::now();
    let tmux = tmux(&env, "streams", (120, 40), &script);
    wait(&tmux, "the container's prompt", |s| {
        s.lines().any(|l| l.trim_end().ends_with('#'))
    });
    // What is typed is echoed by the terminal, and the shell answers.
    tmux.type_line("echo typed-$((6*7))");
    wait(&tmux, "the echo and the answer", |s| {
        s.contains("echo typed-$((6*7))") && s.lines().any(|l| l.trim_end() == "typed-42")
    });
    tmux.type_line("[ -t 0 ] && [ -t 1 ] && echo on-a-tty-$(busybox stty size)");
    wait(&tmux, "a terminal of the pane's size", |s| {
        s.lines().any(|l| l.trim_end() == "on-a-tty-40 120")
    });
    tmux.type_line("exit 7");
    let code = wait_file(&exit_file);
    eprintln!(
        "terminal: pg-docker run -it … sh under tmux: typed, echoed, tty of 40x120, exit 7 in {:.1?}",
        start.elapsed()
    );
    assert_eq!(code, "7\n");
}
