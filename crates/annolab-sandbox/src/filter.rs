//! Which instruments an export or a search keeps: the documented `tagFilter` and `sourceFilter`
//! semantics, in one place.

use crate::project::{Instrument, Source};

/// A parsed filter. Both documented `tagFilter` forms end up here: the older
/// `canonicalTagTypes` list means the same as `includeTypes`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstrumentFilter {
    /// Keep instruments carrying any of these tag types (empty: no constraint).
    pub include_types: Vec<String>,
    /// Drop instruments carrying any of these; exclude wins over include.
    pub exclude_types: Vec<String>,
    /// Keep only instruments whose source file name equals this exactly.
    pub source_name: Option<String>,
}

impl InstrumentFilter {
    /// Whether `instrument` of `source` passes. Tag types match exactly and case-sensitively, and
    /// the source file's own tags count as the instrument's.
    pub fn keeps(&self, source: &Source, instrument: &Instrument) -> bool {
        if let Some(name) = &self.source_name
            && instrument.source_name != *name
        {
            return false;
        }
        let mut included = self.include_types.is_empty();
        for tag in instrument.tag_types(source) {
            if self.exclude_types.iter().any(|t| t == tag) {
                return false;
            }
            included |= self.include_types.iter().any(|t| t == tag);
        }
        included
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::{Project, SourceSet};

    /// An instrument of the demo generator with its tags replaced, in a source with `source_tags`.
    fn instrument(source_name: &str, own_tags: &[&str], source_tags: &[&str]) -> (Source, Instrument) {
        let project = Project::demo(SourceSet::Generated { instruments: 1 });
        let mut source = project.sources().next().unwrap();
        let mut instrument = source.instruments.remove(0);
        let template = instrument.canonical_tags[0].clone();
        instrument.canonical_tags = own_tags
            .iter()
            .map(|t| {
                let mut tag = template.clone();
                tag.type_name = (*t).to_owned();
                tag
            })
            .collect();
        instrument.source_name = source_name.to_owned();
        source.tag_types = source_tags.iter().map(|t| (*t).to_owned()).collect();
        (source, instrument)
    }

    fn filter(include: &[&str], exclude: &[&str], source: Option<&str>) -> InstrumentFilter {
        InstrumentFilter {
            include_types: include.iter().map(|t| (*t).to_owned()).collect(),
            exclude_types: exclude.iter().map(|t| (*t).to_owned()).collect(),
            source_name: source.map(str::to_owned),
        }
    }

    /// scenario, the instrument's own tags, its source file's tags, include, exclude, sourceFilter, kept
    type Case<'a> = (&'a str, &'a [&'a str], &'a [&'a str], &'a [&'a str], &'a [&'a str], Option<&'a str>, bool);

    #[test]
    fn filter_semantics_table() {
        const AIR: &str = "Airframe Inventory";
        const ENG: &str = "Engine Inventory";
        const PROP: &str = "Propeller Inventory";
        #[rustfmt::skip]
        let table: &[Case] = &[
            // scenario,                               own tags,    source tags, include,     exclude, source,              kept
            ("no filter keeps everything",             &[],         &[],         &[],         &[],     None,                true),
            ("include matches an own tag",             &[AIR],      &[],         &[AIR],      &[],     None,                true),
            ("include misses",                         &[ENG],      &[],         &[AIR],      &[],     None,                false),
            ("include is OR over types",               &[ENG],      &[],         &[AIR, ENG], &[],     None,                true),
            ("source file tags count for include",     &[],         &[PROP],     &[PROP],     &[],     None,                true),
            ("exclude drops an own tag",               &[AIR],      &[],         &[],         &[AIR],  None,                false),
            ("exclude is OR over types",               &[ENG],      &[],         &[],         &[AIR, ENG], None,            false),
            ("source file tags count for exclude",     &[AIR],      &[PROP],     &[AIR],      &[PROP], None,                false),
            ("exclude wins over include",              &[AIR, ENG], &[],         &[AIR],      &[ENG],  None,                false),
            ("exclude alone keeps the untagged",       &[],         &[],         &[],         &[AIR],  None,                true),
            ("match is case-sensitive",                &[AIR],      &[],         &["airframe inventory"], &[], None,        false),
            ("match is exact, not a prefix",           &[AIR],      &[],         &["Airframe"], &[],   None,                false),
            ("untagged instrument fails an include",   &[],         &[],         &[AIR],      &[],     None,                false),
            ("sourceFilter equal keeps",               &[AIR],      &[],         &[],         &[],     Some("Test_PDF.pdf"), true),
            ("sourceFilter is exact",                  &[AIR],      &[],         &[],         &[],     Some("test_pdf.pdf"), false),
            ("sourceFilter and tags combine with AND", &[ENG],      &[],         &[AIR],      &[],     Some("Test_PDF.pdf"), false),
        ];
        for (scenario, own, source_tags, include, exclude, source_filter, kept) in table {
            let (source, instrument) = instrument("Test_PDF.pdf", own, source_tags);
            let filter = filter(include, exclude, *source_filter);
            assert_eq!(filter.keeps(&source, &instrument), *kept, "{scenario}");
        }
    }
}
