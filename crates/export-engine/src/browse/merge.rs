//! Chosen instruments' PDFs merged into one, in the order chosen, written as they are read
//! ([`Binder`], which the title package (`crate::package`) writes with too).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::fs::File;
use std::io::{BufWriter, Write};

use lopdf::{Document, Object, ObjectId, Writer};

use super::Browser;
use crate::error::EngineError;

impl Browser {
    /// Merges the PDFs of `ids` into the export's `saved/` folder; returns the file and its
    /// page count.
    pub fn save_merged(&self, ids: &[u64]) -> Result<(PathBuf, u32), EngineError> {
        let out = self.saved_path(&format!("merged-{}-instruments", ids.len()), "pdf")?;
        let pages = self.merge_pdfs(ids, &out)?;
        Ok((out, pages))
    }

    /// Merges the PDFs of `ids`, in that order, into one PDF at `out`. Returns its page count.
    pub fn merge_pdfs(&self, ids: &[u64], out: &Path) -> Result<u32, EngineError> {
        if ids.is_empty() {
            return Err(EngineError::NothingToMerge);
        }
        let paths = self.pdf_paths(ids)?;
        Binder::write_to(out, |binder| {
            let mut pages = Vec::new();
            for path in paths {
                let document = Document::load(&path).map_err(|e| EngineError::UnreadablePdf { path, reason: e.to_string() })?;
                pages.extend(binder.append(document)?);
            }
            binder.finish(&pages, lopdf::Dictionary::new(), None)?;
            Ok(pages.len() as u32)
        })
    }
}

/// Writes one PDF from whole documents appended one at a time, page order kept, without holding
/// the result in memory: each document's objects are renumbered past the previous ones and
/// written out at once, so only the document being appended and one file offset an object are
/// kept (lopdf itself loads each source document whole). Every page moves under one page tree,
/// written last with the catalog, the cross-reference table and the trailer. Attributes a page
/// inherited from its old tree (media box, resources, rotation) are copied onto the page.
pub(crate) struct Binder {
    file: Counted<BufWriter<File>>,
    /// (byte offset, generation) of each object written, by object number (0 unused).
    offsets: Vec<Option<(u64, u16)>>,
    next_id: u32,
    tree_id: ObjectId,
    /// What a failure to write says: `could not write <path>`.
    context: String,
}

impl Binder {
    /// Runs `write` on a binder writing `out.part`, which becomes `out` when `write` succeeds
    /// and is removed when it fails.
    pub(crate) fn write_to<T>(out: &Path, write: impl FnOnce(&mut Binder) -> Result<T, EngineError>) -> Result<T, EngineError> {
        let part = out.with_extension("pdf.part");
        let result = Binder::create(&part).and_then(|mut binder| {
            let value = write(&mut binder)?;
            binder.file.inner.flush().map_err(EngineError::io(format!("could not write {}", part.display())))?;
            Ok(value)
        });
        match result {
            Ok(value) => {
                std::fs::rename(&part, out).map_err(EngineError::io(format!("could not write {}", out.display())))?;
                Ok(value)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                Err(e)
            }
        }
    }

    fn create(path: &Path) -> Result<Self, EngineError> {
        let file = File::create(path).map_err(EngineError::io(format!("could not write {}", path.display())))?;
        let mut binder = Binder {
            file: Counted { inner: BufWriter::with_capacity(1 << 16, file), written: 0 },
            offsets: vec![None],
            next_id: 1,
            tree_id: (0, 0),
            context: format!("could not write {}", path.display()),
        };
        // The binary comment tells transfer tools that the file is not text.
        binder.file.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n").map_err(EngineError::io(binder.context.clone()))?;
        binder.tree_id = binder.reserve();
        Ok(binder)
    }

    /// A new object number, for an object written later with [`Binder::write`].
    pub(crate) fn reserve(&mut self) -> ObjectId {
        let id = (self.next_id, 0);
        self.next_id += 1;
        id
    }

    /// The page tree every page must name as its `Parent`.
    pub(crate) fn tree(&self) -> ObjectId {
        self.tree_id
    }

    /// Writes `object` as the indirect object `id`.
    pub(crate) fn write(&mut self, id: ObjectId, object: &Object) -> Result<(), EngineError> {
        let at = id.0 as usize;
        if self.offsets.len() <= at {
            self.offsets.resize(at + 1, None);
        }
        self.offsets[at] = Some((self.file.written, id.1));
        let (file, io) = (&mut self.file, |e: std::io::Error| EngineError::Io { context: self.context.clone(), source: e });
        write!(file, "{} {} obj\n{}", id.0, id.1, if Writer::need_separator(object) { " " } else { "" }).map_err(io)?;
        Writer::write_object(file, object).map_err(io)?;
        write!(file, "{}\nendobj\n", if Writer::need_end_separator(object) { " " } else { "" }).map_err(io)?;
        Ok(())
    }

    /// Writes `object` under a new number.
    pub(crate) fn add(&mut self, object: &Object) -> Result<ObjectId, EngineError> {
        let id = self.reserve();
        self.write(id, object)?;
        Ok(id)
    }

    /// Writes every object of `document` except its catalog, page tree and outline; returns its
    /// pages in order, for [`Binder::finish`].
    pub(crate) fn append(&mut self, mut document: Document) -> Result<Vec<ObjectId>, EngineError> {
        document.renumber_objects_with(self.next_id);
        self.next_id = self.next_id.max(document.max_id + 1);
        let page_ids: Vec<ObjectId> = document.get_pages().into_values().collect();
        for &page in &page_ids {
            let inherited = inherited_attributes(&document, page);
            if let Ok(Object::Dictionary(dictionary)) = document.get_object_mut(page) {
                for (key, value) in inherited {
                    if !dictionary.has(&key) {
                        dictionary.set(key, value);
                    }
                }
                dictionary.set("Parent", self.tree_id);
            }
        }
        document.compress();
        for (id, object) in std::mem::take(&mut document.objects) {
            // The old catalogs, page trees and outlines are replaced by the new document's own;
            // object and cross-reference streams were unpacked when the document was loaded.
            let kind = object.type_name().unwrap_or_default();
            if !matches!(kind, b"Catalog" | b"Pages" | b"Outlines" | b"Outline" | b"ObjStm" | b"XRef") {
                self.write(id, &object)?;
            }
        }
        Ok(page_ids)
    }

    /// Writes the page tree of `pages` (in that order), the catalog (with `catalog`'s entries
    /// added: an outline), the document info if any, the cross-reference table and the trailer.
    pub(crate) fn finish(&mut self, pages: &[ObjectId], mut catalog: lopdf::Dictionary, info: Option<lopdf::Dictionary>) -> Result<(), EngineError> {
        let kids: Vec<Object> = pages.iter().map(|&id| Object::Reference(id)).collect();
        let tree = lopdf::dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages.len() as i64 };
        self.write(self.tree_id, &Object::Dictionary(tree))?;
        catalog.set("Type", "Catalog");
        catalog.set("Pages", self.tree_id);
        let root = self.add(&Object::Dictionary(catalog))?;
        let info = info.map(|info| self.add(&Object::Dictionary(info))).transpose()?;
        let xref_at = self.file.written;
        let size = self.offsets.len().max(self.next_id as usize);
        let (file, io) = (&mut self.file, |e: std::io::Error| EngineError::Io { context: self.context.clone(), source: e });
        write!(file, "xref\n0 {size}\n0000000000 65535 f \n").map_err(io)?;
        for entry in (1..size).map(|i| self.offsets.get(i).copied().flatten()) {
            match entry {
                Some((offset, generation)) => writeln!(file, "{offset:010} {generation:05} n "),
                None => writeln!(file, "0000000000 65535 f "),
            }
            .map_err(io)?;
        }
        let mut trailer = lopdf::dictionary! { "Size" => size as i64, "Root" => root };
        if let Some(info) = info {
            trailer.set("Info", info);
        }
        file.write_all(b"trailer\n").map_err(io)?;
        Writer::write_object(file, &Object::Dictionary(trailer)).map_err(io)?;
        write!(file, "\nstartxref\n{xref_at}\n%%EOF\n").map_err(io)?;
        Ok(())
    }
}

/// A writer that counts the bytes through it: the offsets of the cross-reference table.
struct Counted<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn inherited_attributes(document: &Document, page: ObjectId) -> BTreeMap<Vec<u8>, Object> {
    let mut found = BTreeMap::new();
    let mut parent = document.get_dictionary(page).ok().and_then(|d| d.get(b"Parent").ok()).and_then(|p| p.as_reference().ok());
    // Bounded, so a page tree that loops cannot hang the merge.
    for _ in 0..32 {
        let Some(id) = parent else { break };
        let Ok(node) = document.get_dictionary(id) else { break };
        for key in [b"MediaBox".as_slice(), b"CropBox", b"Resources", b"Rotate"] {
            if let Ok(value) = node.get(key) {
                found.entry(key.to_vec()).or_insert_with(|| value.clone());
            }
        }
        parent = node.get(b"Parent").ok().and_then(|p| p.as_reference().ok());
    }
    found
}
