//! Chosen instruments' PDFs merged into one, in the order chosen.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use lopdf::{Document, Object, ObjectId};

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
        let documents = self
            .pdf_paths(ids)?
            .into_iter()
            .map(|path| Document::load(&path).map_err(|e| EngineError::UnreadablePdf { path, reason: e.to_string() }))
            .collect::<Result<Vec<_>, _>>()?;
        let mut merged = merge(documents)?;
        let pages = merged.get_pages().len() as u32;
        let part = out.with_extension("pdf.part");
        merged.save(&part).map_err(|e| EngineError::Io { context: format!("could not write {}", part.display()), source: std::io::Error::other(e) })?;
        std::fs::rename(&part, out).map_err(EngineError::io(format!("could not write {}", out.display())))?;
        Ok(pages)
    }
}

/// Joins whole documents, page order kept: each document's objects are renumbered past the
/// previous ones, and every page moves under one new page tree. Attributes a page inherited
/// from its old tree (media box, resources, rotation) are copied onto the page first.
fn merge(documents: Vec<Document>) -> Result<Document, EngineError> {
    let mut merged = Document::with_version("1.7");
    let mut pages: Vec<ObjectId> = Vec::new();
    let mut next_id = 1;
    for mut document in documents {
        document.renumber_objects_with(next_id);
        next_id = document.max_id + 1;
        let page_ids: Vec<ObjectId> = document.get_pages().into_values().collect();
        for &page in &page_ids {
            let inherited = inherited_attributes(&document, page);
            if let Ok(Object::Dictionary(dictionary)) = document.get_object_mut(page) {
                for (key, value) in inherited {
                    if !dictionary.has(&key) {
                        dictionary.set(key, value);
                    }
                }
            }
        }
        pages.extend(&page_ids);
        for (id, object) in document.objects {
            // The old catalogs and page trees are replaced by the merged document's own.
            let kind = object.type_name().unwrap_or_default();
            if kind != b"Catalog" && kind != b"Pages" && kind != b"Outlines" && kind != b"Outline" {
                merged.objects.insert(id, object);
            }
        }
    }
    let tree_id = (next_id, 0);
    let catalog_id = (next_id + 1, 0);
    for page in &pages {
        if let Some(Object::Dictionary(dictionary)) = merged.objects.get_mut(page) {
            dictionary.set("Parent", tree_id);
        }
    }
    let kids: Vec<Object> = pages.iter().map(|&id| Object::Reference(id)).collect();
    merged.objects.insert(tree_id, Object::Dictionary(lopdf::dictionary! { "Type" => "Pages", "Kids" => kids, "Count" => pages.len() as i64 }));
    merged.objects.insert(catalog_id, Object::Dictionary(lopdf::dictionary! { "Type" => "Catalog", "Pages" => tree_id }));
    merged.trailer.set("Root", catalog_id);
    merged.max_id = next_id + 1;
    merged.renumber_objects();
    merged.compress();
    Ok(merged)
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
