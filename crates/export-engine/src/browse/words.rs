//! A search as the full-text index is asked it. Each typed word is a prefix ("airfra" finds
//! "airframe"); FTS5 answers a prefix longer than its prefix index by merging every indexed word
//! that starts so into one list before the first match, a whole keystroke's time at a million
//! instruments. The index's list of distinct words (`words`, written with the index) says which
//! words a prefix stands for: when it is exactly one, the prefix is asked as that word, and a
//! search of it alone is counted from the list. A search of one short word that many indexed words
//! start with ("s", "air") is counted from the counts the index keeps of those (`prefixes`).

use rusqlite::OptionalExtension;

use super::Browser;
use crate::error::EngineError;
use crate::index::{COUNTED_PREFIX, typed_words};

/// What a search asks the full-text index.
#[derive(Debug, PartialEq)]
pub(super) struct Asked {
    /// The FTS5 expression: every typed word must match, as a prefix or as the one word it
    /// stands for. Empty when nothing searchable was typed.
    pub(super) expression: String,
    /// How many instruments match, when one indexed word answers the whole search.
    pub(super) matches: Option<u64>,
}

/// A typed word as the index asks it.
enum Word {
    /// Asked as a prefix, with FTS5's syntax taken literally.
    Prefix(String),
    /// The one indexed word the typed one starts, and how many instruments have it.
    Exactly { word: String, docs: u64 },
}

impl Browser {
    /// `text`, a search as typed, as the full-text index is asked it.
    pub(super) fn asked(&self, text: &str) -> Result<Asked, EngineError> {
        let words = typed_words(text).map(|typed| self.word(typed)).collect::<Result<Vec<_>, _>>()?;
        let matches = match words.as_slice() {
            [Word::Exactly { docs, .. }] => Some(*docs),
            [Word::Prefix(prefix)] => self.counted(prefix)?,
            _ => None,
        };
        let expression = words
            .iter()
            .map(|word| match word {
                Word::Prefix(prefix) => format!("\"{prefix}\"*"),
                Word::Exactly { word, .. } => format!("\"{word}\""),
            })
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Asked { expression, matches })
    }

    /// How many instruments a short word that many indexed words start with matches, when the
    /// index counted it ([`crate::index::COUNTED_PREFIX`]).
    fn counted(&self, typed: &str) -> Result<Option<u64>, EngineError> {
        if !self.has_words || !typed.is_ascii() || typed.len() > COUNTED_PREFIX {
            return Ok(None);
        }
        let mut statement = self.db.prepare_cached("SELECT docs FROM prefixes WHERE prefix = ?1")?;
        Ok(statement.query_row([typed.to_ascii_lowercase()], |row| row.get::<_, i64>(0)).optional()?.map(|docs| docs as u64))
    }

    fn word(&self, typed: &str) -> Result<Word, EngineError> {
        // Only ASCII is looked up: FTS5 keeps it lowercased and nothing more, where other
        // letters are folded by its tokenizer's own tables (diacritics dropped), which this
        // would have to copy exactly. An index made before the list existed has none to ask.
        if !self.has_words || !typed.is_ascii() {
            return Ok(Word::Prefix(typed.to_owned()));
        }
        let prefix = typed.to_ascii_lowercase();
        // Every word starting with `prefix` sorts from it to just before its last letter's next.
        let mut end = prefix.clone().into_bytes();
        *end.last_mut().expect("typed words are never empty") += 1;
        let end = String::from_utf8(end).expect("ASCII stays ASCII below 0x7f");
        let mut statement = self.db.prepare_cached("SELECT term, docs FROM words WHERE term >= ?1 AND term < ?2 ORDER BY term LIMIT 2")?;
        let found = statement.query_map([&prefix, &end], |row| Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?)))?.collect::<Result<Vec<_>, _>>()?;
        Ok(match found.as_slice() {
            [(word, docs)] => Word::Exactly { word: word.clone(), docs: *docs as u64 },
            _ => Word::Prefix(typed.to_owned()),
        })
    }
}
