//! Recognising dockmux binaries other than the running one: a hard link
//! made by `link --hard` keeps the inode of the build it was made from, so
//! after an upgrade by rename it is an older build, not this one. Every
//! build carries an ELF note (`.note.dockmux`, found through the program
//! headers: a few hundred bytes read); builds from before the note are
//! recognised by a message every build has had.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

/// The note's type: "DMX" and a version.
const NOTE_TYPE: u32 = 0x444d_5801;
const NOTE_NAME: &[u8; 8] = b"dockmux\0";

#[repr(C, align(4))]
struct Note {
    namesz: u32,
    descsz: u32,
    ntype: u32,
    name: [u8; 8],
    desc: [u8; 4],
}

/// The mark. A `.note*` section is of type SHT_NOTE and lands in a PT_NOTE
/// segment; read in `is_build`, so no linker drops it.
#[used]
#[unsafe(link_section = ".note.dockmux")]
static MARK: Note = Note {
    namesz: NOTE_NAME.len() as u32,
    descsz: 4,
    ntype: NOTE_TYPE,
    name: *NOTE_NAME,
    desc: *b"v1\0\0",
};

/// In every dockmux binary since the first (error.rs, the loop guard).
const OLD_BUILD_TEXT: &[u8] = b"dockmux is calling itself in a loop (DOCKMUX_DEPTH=";
/// Larger files are not read through for the old builds' text.
const MAX_SCAN: u64 = 256 << 20;

/// Is the file at `path` (a regular file, not followed through a symlink by
/// the caller's choice) a dockmux binary, of any build?
pub fn is_build(path: &Path) -> bool {
    // SAFETY: a plain read of a static; volatile, so the note is kept.
    let mark = unsafe { std::ptr::read_volatile(&raw const MARK.ntype) };
    let Ok(mut file) = File::open(path) else {
        return false;
    };
    match has_note(&mut file, mark) {
        Some(found) => found || scan(&mut file, OLD_BUILD_TEXT),
        None => false,
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?).into())
}

fn u32_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?).into())
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether a 64-bit little-endian ELF file has dockmux's note; `None` when
/// the file is not such an ELF file at all.
fn has_note(file: &mut File, ntype: u32) -> Option<bool> {
    let mut header = [0u8; 64];
    file.read_exact(&mut header).ok()?;
    if &header[..4] != b"\x7fELF" || header[4] != 2 || header[5] != 1 {
        return None;
    }
    let phoff = u64_at(&header, 0x20)?;
    let phentsize = u16_at(&header, 0x36)?;
    let phnum = u16_at(&header, 0x38)?.min(128);
    if phentsize < 56 {
        return None;
    }
    let mut table = vec![0u8; usize::try_from(phentsize * phnum).ok()?];
    file.seek(SeekFrom::Start(phoff)).ok()?;
    file.read_exact(&mut table).ok()?;
    for entry in table.chunks_exact(usize::try_from(phentsize).ok()?) {
        // PT_NOTE
        if u32_at(entry, 0)? != 4 {
            continue;
        }
        let (offset, size, align) = (u64_at(entry, 8)?, u64_at(entry, 32)?, u64_at(entry, 48)?);
        let mut notes = vec![0u8; usize::try_from(size.min(1 << 16)).ok()?];
        file.seek(SeekFrom::Start(offset)).ok()?;
        if file.read_exact(&mut notes).is_err() {
            continue;
        }
        if find_note(&notes, if align == 8 { 8 } else { 4 }, ntype) {
            return Some(true);
        }
    }
    Some(false)
}

/// Walks the notes of one PT_NOTE segment.
fn find_note(notes: &[u8], align: usize, ntype: u32) -> bool {
    let pad = |n: usize| n.div_ceil(align) * align;
    let mut at = 0;
    while let (Some(namesz), Some(descsz), Some(t)) = (
        u32_at(notes, at),
        u32_at(notes, at + 4),
        u32_at(notes, at + 8),
    ) {
        let (namesz, descsz) = (namesz as usize, descsz as usize);
        let name = notes.get(at + 12..at + 12 + namesz);
        if t == u64::from(ntype) && name == Some(&NOTE_NAME[..]) {
            return true;
        }
        at += 12 + pad(namesz) + pad(descsz);
    }
    false
}

/// Whether `needle` occurs in the file (read from its start, in chunks).
fn scan(file: &mut File, needle: &[u8]) -> bool {
    if file.seek(SeekFrom::Start(0)).is_err() {
        return false;
    }
    let finder = memchr::memmem::Finder::new(needle);
    let mut buf = vec![0u8; 1 << 20];
    // The last bytes of a chunk are kept, so a needle across two chunks is seen.
    let keep = needle.len() - 1;
    let (mut filled, mut read_total) = (0, 0u64);
    loop {
        let n = match file.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        filled += n;
        read_total += n as u64;
        if finder.find(&buf[..filled]).is_some() {
            return true;
        }
        if read_total > MAX_SCAN {
            return false;
        }
        if filled > keep {
            buf.copy_within(filled - keep..filled, 0);
            filled = keep;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_build_has_the_note_and_others_do_not() {
        let me = std::env::current_exe().unwrap();
        let mut f = File::open(&me).unwrap();
        assert_eq!(has_note(&mut f, NOTE_TYPE), Some(true));
        assert!(is_build(&me));
        // An ELF program that is not dockmux, and a script.
        assert!(!is_build(Path::new("/bin/sh")));
        let t = tempfile::tempdir().unwrap();
        let script = t.path().join("x");
        std::fs::write(&script, "#!/bin/sh\necho dockmux\n").unwrap();
        assert!(!is_build(&script));
    }

    #[test]
    fn old_builds_are_found_by_their_text_even_across_chunks() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("old");
        let mut bytes = vec![b'x'; (1 << 20) - 10];
        bytes.extend_from_slice(OLD_BUILD_TEXT);
        bytes.extend_from_slice(b"tail");
        std::fs::write(&old, &bytes).unwrap();
        assert!(scan(&mut File::open(&old).unwrap(), OLD_BUILD_TEXT));
        std::fs::write(&old, &bytes[..bytes.len() - 10]).unwrap();
        assert!(!scan(&mut File::open(&old).unwrap(), OLD_BUILD_TEXT));
    }
}
