//! File names every disk accepts: the one place where a name chosen by a server or a user (an
//! archive entry, an instrument type, an owner, a project) becomes a name on Windows, macOS and
//! Linux alike.
//!
//! The rules, from the three systems' limits (docs/platforms.md, "File names"):
//! - `< > : " / \ | ?` and `*` and control characters become `_` (Windows refuses them, and `:`
//!   on NTFS would open an alternate data stream instead);
//! - a name that is a reserved device name (`CON`, `PRN`, `AUX`, `NUL`, `COM0-9`, `LPT0-9`,
//!   `CONIN$`, `CONOUT$`, with or without an extension) gets a leading `_`;
//! - trailing dots and spaces go (Win32 strips them, so `Assignment.` and `Assignment` collide);
//! - at most [`MAX_NAME_CHARS`] characters and 255 bytes of UTF-8 (ext4's limit), cut on a
//!   character boundary, and less where the export folder's own path leaves less room under
//!   Windows' 260-character limit;
//! - an instrument PDF's `_<start>-<end>_<id>.pdf` tail is always kept whole;
//! - names are in Unicode NFC (macOS may hand them back in NFD: [`find_on_disk`] looks both up).
//!
//! A name that already follows every rule is left exactly as it was sent. Inside one export no
//! two entries get the same file, even when they differ only by case (NTFS and APFS ignore it):
//! [`Placement`] hands the later one ` (2)` before its tail.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use unicode_normalization::{UnicodeNormalization, is_nfc};

/// The longest name written, in characters.
pub const MAX_NAME_CHARS: usize = 150;
/// ext4 (and most Linux file systems) allow 255 bytes of UTF-8 in one name.
const MAX_NAME_BYTES: usize = 255;
/// Windows' MAX_PATH (260) less its terminating NUL, in UTF-16 units.
pub const MAX_PATH: usize = 259;
/// Room always left for a file name, however long the export folder's path (beyond it, Windows
/// needs extended-length paths: see docs/platforms.md, "Path length").
const MIN_NAME_CHARS: usize = 40;

/// The folder of the instrument PDFs in an export.
const PDFS: &str = "pdfs";

const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
    "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// `name` as one legal file name of at most `max_chars` characters (never more than
/// [`MAX_NAME_CHARS`]). Deterministic; a legal name comes back unchanged.
pub fn file_name(name: &str, max_chars: usize) -> String {
    let name: String = if is_nfc(name) { name.to_owned() } else { name.nfc().collect() };
    let (stem, tail) = split_tail(&name);
    build(&clean(stem), tail, "", max_chars)
}

/// A library folder named after `text` (an owner, a project): a legal name that is never
/// hidden (no leading dot: the library skips dot folders, its own work space).
pub fn folder_name(text: &str, max_chars: usize) -> String {
    let name = file_name(text, max_chars);
    let visible = name.trim_start_matches('.');
    if visible.is_empty() { "_".to_owned() } else { file_name(visible, max_chars) }
}

/// True when `name` follows every rule above: what [`file_name`] returns, and leaves alone.
pub fn is_legal(name: &str) -> bool {
    !name.is_empty()
        && is_nfc(name)
        && !name.chars().any(forbidden)
        && !name.ends_with(['.', ' '])
        && !is_reserved(name)
        && name.chars().count() <= MAX_NAME_CHARS
        && name.len() <= MAX_NAME_BYTES
}

/// How a name compares on a disk that ignores case and normalisation (NTFS, APFS): two names
/// with the same key are the same file there.
pub fn fold(name: &str) -> String {
    name.nfc().flat_map(char::to_lowercase).collect()
}

/// The room left for paths inside a folder at `dir`: Windows' limit less the folder's own path
/// and a separator, in UTF-16 units (how Windows counts).
pub fn path_budget(dir: &Path) -> usize {
    MAX_PATH.saturating_sub(dir.to_string_lossy().encode_utf16().count() + 1)
}

/// Where an export's files go: every archive entry's path mapped to a legal, unique one.
#[derive(Debug)]
pub struct Placement {
    /// The most UTF-16 units a path inside the export may have.
    budget: usize,
    /// Folded paths of the files placed so far.
    files: HashSet<String>,
    /// Folded paths of the folders made so far.
    folders: HashSet<String>,
    /// Each entry folder (as sent, in NFC) and the folder it was given.
    given: HashMap<String, String>,
}

impl Placement {
    /// For an export whose folder is `budget` UTF-16 units short of Windows' path limit (see
    /// [`path_budget`]).
    pub fn new(budget: usize) -> Self {
        Placement { budget, files: HashSet::new(), folders: HashSet::new(), given: HashMap::new() }
    }

    /// The relative path (`/`-separated) at which the entry `entry` (a safe relative path, as
    /// checked by `extract::safe_relative_path`) is written.
    ///
    /// An instrument PDF is documented as `pdfs/<Type>_<start>-<end>_<id>.pdf`, one level deep:
    /// one found deeper under `pdfs/` is a type name with a `/` in it (`Assignment / Assumption`),
    /// so its parts are joined with `_` into one name in `pdfs/`, as a server that cleans its
    /// names would have sent it.
    pub fn file(&mut self, entry: &Path) -> String {
        let mut parts = nfc_parts(entry);
        if parts.len() > 2 && parts[0] == PDFS && parts.last().is_some_and(|name| crate::extract::pdf_instrument_id(name).is_some()) {
            let name = parts[1..].join("_");
            parts = vec![PDFS.to_owned(), name];
        }
        let Some((name, folders)) = parts.split_last() else { return self.unique_file("", "_") };
        let folder = self.folder(folders);
        self.unique_file(&folder, name)
    }

    /// The relative path at which the entry folder `entry` is made.
    pub fn folder_path(&mut self, entry: &Path) -> String {
        let parts = nfc_parts(entry);
        self.folder(&parts)
    }

    fn folder(&mut self, parts: &[String]) -> String {
        let mut placed = String::new();
        for depth in 1..=parts.len() {
            let sent = parts[..depth].join("/");
            if let Some(given) = self.given.get(&sent) {
                placed = given.clone();
                continue;
            }
            let (stem, tail) = split_tail(&parts[depth - 1]);
            let stem = clean(stem);
            let mut n = 1;
            let (given, key) = loop {
                let suffix = if n == 1 { String::new() } else { format!(" ({n})") };
                let path = join_name(&placed, &build(&stem, tail, &suffix, MAX_NAME_CHARS));
                let key = fold(&path);
                // A folder may share its path with another folder (they merge), never with a file.
                if !self.files.contains(&key) {
                    break (path, key);
                }
                n += 1;
            };
            self.folders.insert(key);
            self.given.insert(sent, given.clone());
            placed = given;
        }
        placed
    }

    fn unique_file(&mut self, folder: &str, name: &str) -> String {
        let (stem, tail) = split_tail(name);
        let stem = clean(stem);
        let prefix = if folder.is_empty() { 0 } else { folder.encode_utf16().count() + 1 };
        // Characters, not UTF-16 units: a name's astral characters make its path at most twice
        // this long, which the minimum below leaves room for on any real library path.
        let room = self.budget.saturating_sub(prefix).clamp(MIN_NAME_CHARS, MAX_NAME_CHARS);
        let mut n = 1;
        loop {
            let suffix = if n == 1 { String::new() } else { format!(" ({n})") };
            let path = join_name(folder, &build(&stem, tail, &suffix, room));
            let key = fold(&path);
            if !self.files.contains(&key) && !self.folders.contains(&key) {
                self.files.insert(key);
                return path;
            }
            n += 1;
        }
    }
}

/// An entry path's parts, each in NFC.
fn nfc_parts(entry: &Path) -> Vec<String> {
    entry.components().map(|c| c.as_os_str().to_string_lossy().nfc().collect()).collect()
}

/// `relative` (`/`-separated) inside `dir`, joined part by part: Windows' extended-length paths
/// accept no `/`.
pub fn join(dir: &Path, relative: &str) -> PathBuf {
    relative.split('/').fold(dir.to_path_buf(), |path, part| path.join(part))
}

/// The file at `recorded` (an export's relative, `/`-separated, NFC path) inside `dir`, also
/// when the disk handed its name back in another normalisation (NFD on HFS+ and some shares).
pub fn find_on_disk(dir: &Path, recorded: &str) -> PathBuf {
    let direct = join(dir, recorded);
    if direct.exists() {
        return direct;
    }
    let mut found = dir.to_path_buf();
    for part in recorded.split('/') {
        let wanted: String = part.nfc().collect();
        let next = std::fs::read_dir(&found)
            .ok()
            .and_then(|entries| entries.filter_map(Result::ok).find(|e| e.file_name().to_string_lossy().nfc().eq(wanted.chars())).map(|e| e.path()));
        match next {
            Some(next) => found = next,
            None => return direct,
        }
    }
    found
}

/// What [`file_name`] may keep whole of `name` beyond a short cap (an instrument PDF's tail; an
/// extension only when a character of the stem fits before it): the fuzz targets' bound.
pub(crate) fn kept_tail(name: &str) -> String {
    let name: String = name.nfc().collect();
    split_tail(&name).1.to_owned()
}

/// Splits off what must survive whole: an instrument PDF's `_<start>-<end>_<id>.pdf`, else an
/// `_<id>.pdf`, else a short extension.
fn split_tail(name: &str) -> (&str, &str) {
    let lower = name.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix(".pdf")
        && let Some((rest, id)) = stem.rsplit_once('_')
        && is_digits(id)
    {
        let pages = rest.rsplit_once('_').filter(|(_, range)| range.split_once('-').is_some_and(|(a, b)| is_digits(a) && is_digits(b)));
        let at = match pages {
            Some((before, _)) => before.len(),
            None => rest.len(),
        };
        return name.split_at(at);
    }
    match name.rfind('.') {
        Some(at) if at > 0 && name.len() - at <= 11 && name[at + 1..].chars().all(|c| c.is_ascii_alphanumeric()) && at + 1 < name.len() => name.split_at(at),
        _ => (name, ""),
    }
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*')
}

fn clean(stem: &str) -> String {
    stem.chars().map(|c| if forbidden(c) { '_' } else { c }).collect()
}

/// Windows reserves a device name with any extension, and ignores trailing spaces before it.
fn is_reserved(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name).trim_end_matches(' ');
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(base))
}

/// `stem`, `suffix` and `tail` as one legal name of at most `max_chars`: the stem is what is
/// shortened, the suffix and the tail are kept.
fn build(stem: &str, tail: &str, suffix: &str, max_chars: usize) -> String {
    let max_chars = max_chars.min(MAX_NAME_CHARS);
    // An extension is kept only with at least one character of its stem: with no room for one,
    // it is cut like the rest of the name. Alone (`.p`) it would be a hidden file on Linux and
    // macOS, and it would read back as a stem without an extension, so cleaning the name again
    // would change it (`\0.p` gave `.p`, and `.p` gave `_`). The cap is the harder promise: a
    // too-long name breaks the path limit, a lost extension only a double-click. An instrument
    // PDF's tail (it starts with `_`) is kept whole whatever the cap: the export finds the
    // instrument's PDF by it.
    if tail.starts_with('.') && !stem.is_empty() && tail.chars().count() + suffix.chars().count() >= max_chars {
        return build(&format!("{stem}{tail}"), "", suffix, max_chars);
    }
    let name = fit("", stem, suffix, tail, max_chars);
    if is_reserved(&name) {
        // The `_` that escapes a device name counts against the cap like the rest: no reserved
        // name starts with `_`, so the shortened name is never reserved again.
        return fit("_", stem, suffix, tail, max_chars);
    }
    name
}

/// `prefix`, `stem`, `suffix` and `tail` as one name of at most `max_chars` characters and
/// [`MAX_NAME_BYTES`] bytes, never empty: only the stem is shortened.
fn fit(prefix: &str, stem: &str, suffix: &str, tail: &str, max_chars: usize) -> String {
    let kept_chars = prefix.chars().count() + tail.chars().count() + suffix.chars().count();
    let kept_bytes = prefix.len() + tail.len() + suffix.len();
    let mut stem = stem.to_owned();
    let mut chars = stem.chars().count();
    while !stem.is_empty() && (chars + kept_chars > max_chars || stem.len() + kept_bytes > MAX_NAME_BYTES) {
        stem.pop();
        chars -= 1;
    }
    if tail.is_empty() && suffix.is_empty() {
        // Win32 strips a name's trailing dots and spaces (and only the name's, not the stem's
        // before an extension).
        stem.truncate(stem.trim_end_matches(['.', ' ']).len());
    }
    let name = format!("{prefix}{stem}{suffix}{tail}");
    if name.is_empty() { "_".to_owned() } else { name }
}

fn join_name(folder: &str, name: &str) -> String {
    if folder.is_empty() { name.to_owned() } else { format!("{folder}/{name}") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn windows_hostile_type_names_become_legal_and_keep_their_tail() {
        for (sent, written) in [
            ("Lease: Aircraft_1-2_400001.pdf", "Lease_ Aircraft_1-2_400001.pdf"),
            ("Bill of Sale?_3-5_400002.pdf", "Bill of Sale__3-5_400002.pdf"),
            ("Release \"A\"_1-1_400003.pdf", "Release _A__1-1_400003.pdf"),
            ("Amendment*_2-2_400004.pdf", "Amendment__2-2_400004.pdf"),
            ("Lien <Mechanic>_1-4_400005.pdf", "Lien _Mechanic__1-4_400005.pdf"),
            ("Power of Attorney|Limited_7-7_400006.pdf", "Power of Attorney_Limited_7-7_400006.pdf"),
            ("Tab\there_1-1_400007.pdf", "Tab_here_1-1_400007.pdf"),
        ] {
            assert_eq!(file_name(sent, MAX_NAME_CHARS), written);
        }
    }

    #[test]
    fn reserved_device_names_are_escaped_with_or_without_an_extension() {
        assert_eq!(file_name("CON", 150), "_CON");
        assert_eq!(file_name("aux.pdf", 150), "_aux.pdf");
        assert_eq!(file_name("Com1.tar", 150), "_Com1.tar");
        assert_eq!(file_name("LPT9 .txt", 150), "_LPT9 .txt");
        assert_eq!(file_name("COM²", 150), "_COM²");
        // A device name followed by more than an extension is an ordinary name.
        assert_eq!(file_name("CON_1-1_5.pdf", 150), "CON_1-1_5.pdf");
        assert_eq!(file_name("CONSENT", 150), "CONSENT");
    }

    /// Found by the `names` fuzz target: with a cap of 0 `"\0.p"` became `".p"`, a bare
    /// extension, which cleaned again became `"_"`.
    #[test]
    fn a_cap_too_short_for_the_extension_cuts_it_and_cleaning_again_changes_nothing() {
        for cap in 0..=3 {
            for sent in ["\0.p", ".p", "_.p", "CON.txt", "Lease.pdf", "a .p"] {
                let written = file_name(sent, cap);
                assert!(is_legal(&written), "file_name({sent:?}, {cap}) = {written:?}");
                // A dot file sent as one (`.p`) is a legal name, left alone; no other becomes one.
                assert!(sent.starts_with('.') || !written.starts_with('.'), "file_name({sent:?}, {cap}) = {written:?}");
                assert!(written.chars().count() <= cap.max(1), "file_name({sent:?}, {cap}) = {written:?}");
                assert_eq!(file_name(&written, cap), written, "cleaning {written:?} again");
            }
        }
        assert_eq!(file_name("\0.p", 0), "_");
        assert_eq!(file_name("\0.p", 2), "_");
        assert_eq!(file_name("\0.p", 3), "_.p");
        assert_eq!(file_name("notes.txt", 4), "note");
        assert_eq!(file_name("notes.txt", 5), "n.txt");
        // An instrument PDF keeps its whole tail however short the cap.
        assert_eq!(file_name("Lease_1-2_7.pdf", 3), "_1-2_7.pdf");
    }

    #[test]
    fn a_reserved_name_escaped_stays_within_the_cap() {
        assert_eq!(file_name("CON", 3), "_CO");
        assert_eq!(file_name("CON.txt", 7), "_CO.txt");
        assert_eq!(file_name("CON.txt", 8), "_CON.txt");
        assert_eq!(file_name("_CO.txt", 7), "_CO.txt");
    }

    #[test]
    fn trailing_dots_and_spaces_are_trimmed() {
        assert_eq!(file_name("Assignment.", 150), "Assignment");
        assert_eq!(file_name("Assignment. . ", 150), "Assignment");
        assert_eq!(file_name("...", 150), "_");
        assert_eq!(file_name("Amendment. _1-1_9.pdf", 150), "Amendment. _1-1_9.pdf");
    }

    #[test]
    fn a_330_character_type_name_is_cut_to_150_characters_keeping_its_tail() {
        let type_name = "Assignment and Assumption of Lease and Security Agreement ".repeat(6);
        let sent = format!("{}_2-2_400016.pdf", type_name.trim_end());
        assert!(sent.chars().count() > 330);
        let written = file_name(&sent, MAX_NAME_CHARS);
        assert_eq!(written.chars().count(), 150);
        assert!(written.ends_with("_2-2_400016.pdf"), "{written}");
        assert!(is_legal(&written));
    }

    #[test]
    fn greek_and_cjk_names_stay_within_255_bytes() {
        let greek = format!("{}_1-1_7.pdf", "Πώληση ".repeat(30));
        let written = file_name(&greek, MAX_NAME_CHARS);
        assert!(written.len() <= 255 && written.ends_with("_1-1_7.pdf"), "{} bytes", written.len());
        let cjk = format!("{}_1-1_8.pdf", "売買証書".repeat(60));
        assert!(file_name(&cjk, MAX_NAME_CHARS).len() <= 255);
    }

    #[test]
    fn legal_names_are_left_exactly_as_sent() {
        for name in ["Bill of Sale_3-5_402970.pdf", "instruments.json", "Assignment _ Assumption_11-11_402974.pdf", "Übertragung_1-1_3.pdf"] {
            assert_eq!(file_name(name, MAX_NAME_CHARS), name);
        }
    }

    #[test]
    fn names_are_stored_in_nfc() {
        let nfd = "Cession de l'he\u{301}lice_1-1_4.pdf";
        assert_eq!(file_name(nfd, MAX_NAME_CHARS), "Cession de l'h\u{e9}lice_1-1_4.pdf");
    }

    #[test]
    fn entries_that_collapse_or_differ_by_case_get_their_own_files() {
        let mut placement = Placement::new(200);
        assert_eq!(placement.file(Path::new("pdfs/Lease:A_1-1_5.pdf")), "pdfs/Lease_A_1-1_5.pdf");
        assert_eq!(placement.file(Path::new("pdfs/Lease?A_1-1_5.pdf")), "pdfs/Lease_A (2)_1-1_5.pdf");
        assert_eq!(placement.file(Path::new("pdfs/LEASE_A_1-1_5.pdf")), "pdfs/LEASE_A (3)_1-1_5.pdf");
        assert_eq!(placement.file(Path::new("notes.txt")), "notes.txt");
        assert_eq!(placement.file(Path::new("NOTES.TXT")), "NOTES (2).TXT");
        assert_eq!(placement.file(Path::new("PDFS/other_1-1_6.pdf")), "PDFS/other_1-1_6.pdf");
    }

    #[test]
    fn a_slash_in_a_type_name_does_not_make_a_folder() {
        let mut placement = Placement::new(200);
        assert_eq!(placement.file(Path::new("pdfs/Assignment / Assumption_1-1_5.pdf")), "pdfs/Assignment _ Assumption_1-1_5.pdf");
        assert_eq!(placement.file(Path::new("pdfs/a/b/c_2-3_6.pdf")), "pdfs/a_b_c_2-3_6.pdf");
        // Only instrument PDFs: other entries keep their folders.
        assert_eq!(placement.file(Path::new("pdfs/notes/readme.txt")), "pdfs/notes/readme.txt");
    }

    #[test]
    fn a_file_and_a_folder_never_share_a_path() {
        let mut placement = Placement::new(200);
        assert_eq!(placement.file(Path::new("a")), "a");
        assert_eq!(placement.file(Path::new("A/b.txt")), "A (2)/b.txt");
        assert_eq!(placement.file(Path::new("A/c.txt")), "A (2)/c.txt");
        assert_eq!(placement.file(Path::new("a (2)")), "a (2) (2)");
    }

    #[test]
    fn a_long_export_folder_shortens_the_names_inside_it() {
        let dir = PathBuf::from(format!("C:/Users/Examiner/Documents/{}", "Exports ".repeat(15)));
        let budget = path_budget(&dir);
        let mut placement = Placement::new(budget);
        let written = placement.file(Path::new(&format!("pdfs/{}_2-2_400016.pdf", "Assignment ".repeat(20))));
        assert!(written.encode_utf16().count() <= budget, "{} > {budget}", written.len());
        assert!(written.ends_with("_2-2_400016.pdf"));
        // However long the folder, a name keeps room for its type and tail.
        let mut cramped = Placement::new(3);
        assert_eq!(cramped.file(Path::new(&format!("pdfs/{}_2-2_400016.pdf", "x".repeat(100)))).chars().count(), "pdfs/".len() + MIN_NAME_CHARS);
    }

    #[test]
    fn a_pdf_written_in_nfd_is_found_by_its_nfc_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pdfs")).unwrap();
        let nfd = "pdfs/He\u{301}lice_1-1_4.pdf";
        std::fs::write(dir.path().join(nfd), b"%PDF").unwrap();
        let found = find_on_disk(dir.path(), "pdfs/H\u{e9}lice_1-1_4.pdf");
        assert_eq!(std::fs::read(found).unwrap(), b"%PDF");
    }

    proptest! {
        #[test]
        fn any_name_becomes_legal_and_keeps_its_tail(stem in "\\PC{0,400}", start in 1u32..10_000, end in 1u32..10_000, id in any::<u64>()) {
            let tail = format!("_{start}-{end}_{id}.pdf");
            let written = file_name(&format!("{stem}{tail}"), MAX_NAME_CHARS);
            prop_assert!(is_legal(&written), "{written:?}");
            prop_assert!(written.ends_with(&tail), "{written:?}");
            prop_assert_eq!(crate::extract::pdf_instrument_id(&written), Some(id));
        }

        #[test]
        fn any_text_becomes_a_legal_name(text in "\\PC{0,300}|(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])[ .]{0,3}[a-z.]{0,5}") {
            let written = file_name(&text, MAX_NAME_CHARS);
            prop_assert!(is_legal(&written), "{text:?} -> {written:?}");
            if is_legal(&text) {
                prop_assert_eq!(&written, &text);
            }
        }

        #[test]
        fn placing_never_merges_two_entries(names in proptest::collection::vec("[aA:?. ]{0,4}(_1-1_[1-3]\\.pdf)?", 1..40), budget in 0usize..260) {
            let mut placement = Placement::new(budget);
            let mut seen = HashSet::new();
            for name in &names {
                let path = placement.file(Path::new(&format!("pdfs/{name}")));
                prop_assert!(path.split('/').all(is_legal), "{path:?}");
                prop_assert!(seen.insert(fold(&path)), "{path:?} given twice");
            }
        }
    }
}
