//! The file sink's part file names, `part-00000-<uuid>.c000.csv` as Spark's, with a uuid that
//! says whose batch the file is: its first half is a tag of the query's id (kept across restarts
//! in the checkpoint), its second half the batch id (a version 8 uuid, RFC 9562).
//!
//! So a restart can prove that a part file no `_spark_metadata` entry lists is from a batch of
//! this very query that was cut short, and remove only those: a file of another query, of a run
//! without a checkpoint, of an older window-tui or of anyone else is never taken for one.

use uuid::Uuid;

/// The namespace the query tag is drawn in (a fixed, random uuid).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a5e_93d4_4b7e_a0c8_1d2e_3f40_5a6b);

/// The bits of the batch id a name keeps (the uuid's variant takes the top two).
const BATCH_MASK: u64 = (1 << 62) - 1;

/// Names the part files of one query's batches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartNames {
    tag: [u8; 8],
}

impl PartNames {
    /// Names for the query with this id (the checkpoint's, the same after every restart).
    pub fn for_query(query_id: &str) -> Self {
        let hash = Uuid::new_v5(&NAMESPACE, query_id.as_bytes());
        let mut tag = [0; 8];
        tag.copy_from_slice(&hash.as_bytes()[..8]);
        PartNames { tag }
    }

    /// Names for a run without a checkpoint: no restart continues it, so the tag is random.
    pub fn random() -> Self {
        Self::for_query(&Uuid::new_v4().to_string())
    }

    fn uuid(&self, batch_id: u64) -> Uuid {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&self.tag);
        bytes[8..].copy_from_slice(&(batch_id & BATCH_MASK).to_be_bytes());
        Uuid::new_v8(bytes)
    }

    /// The part file name of batch `batch_id` (the same in every partition folder).
    pub fn name(&self, batch_id: u64) -> String {
        format!("part-00000-{}.c000.csv", self.uuid(batch_id).hyphenated())
    }

    /// The batch whose part file `file_name` is, if it is one of this query's (a file written
    /// aside, `.NAME.tmp`, counts as `NAME`).
    pub fn batch_of(&self, file_name: &str) -> Option<u64> {
        let uuid = part_uuid(file_name)?;
        let bytes = uuid.as_bytes();
        let batch = u64::from_be_bytes(bytes[8..].try_into().ok()?) & BATCH_MASK;
        (self.uuid(batch) == uuid).then_some(batch)
    }
}

/// Whether `file_name` is a part file some window-tui query wrote (or was writing, `.NAME.tmp`):
/// its uuid is a version 8 one, as [`PartNames`] makes them. Spark's part files have random
/// (version 4) uuids: `--clean` leaves them, and any other file.
pub fn is_window_tuis(file_name: &str) -> bool {
    part_uuid(file_name).is_some_and(|uuid| {
        uuid.get_version_num() == 8 && uuid.get_variant() == uuid::Variant::RFC4122
    })
}

/// The uuid of a part file's name, written as [`PartNames::name`] writes it.
fn part_uuid(file_name: &str) -> Option<Uuid> {
    let name = file_name
        .strip_prefix('.')
        .and_then(|n| n.strip_suffix(".tmp"))
        .unwrap_or(file_name);
    let text = name
        .strip_prefix("part-00000-")?
        .strip_suffix(".c000.csv")?;
    let uuid = Uuid::try_parse(text).ok()?;
    (text == uuid.hyphenated().to_string()).then_some(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_says_its_query_and_batch_and_nothing_else_passes_for_one() {
        let ours = PartNames::for_query("3f0e8a52-0c7d-4a4e-9b1e-5f8f9e0c1d2a");
        let name = ours.name(299);
        assert!(
            name.starts_with("part-00000-") && name.ends_with(".c000.csv"),
            "{name}"
        );
        assert_eq!(
            ours,
            PartNames::for_query("3f0e8a52-0c7d-4a4e-9b1e-5f8f9e0c1d2a"),
            "the same query names alike after a restart"
        );
        assert_eq!(ours.batch_of(&name), Some(299));
        assert_eq!(ours.batch_of(&format!(".{name}.tmp")), Some(299));
        assert_eq!(ours.batch_of(&ours.name(0)), Some(0));
        let theirs = PartNames::for_query("another query");
        assert_eq!(theirs.batch_of(&name), None);
        for other in [
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv",
            "thesis.tex",
            &name.to_uppercase(),
            &name.replace(".c000", ".c001"),
        ] {
            assert_eq!(ours.batch_of(other), None, "{other}");
        }
    }

    #[test]
    fn any_window_tui_query_s_part_files_are_known_and_spark_s_are_not() {
        for names in [PartNames::random(), PartNames::for_query("q")] {
            let name = names.name(7);
            assert!(is_window_tuis(&name), "{name}");
            assert!(is_window_tuis(&format!(".{name}.tmp")), "{name}");
            let uuid = &name["part-00000-".len()..name.len() - ".c000.csv".len()];
            let upper = format!("part-00000-{}.c000.csv", uuid.to_uppercase());
            assert!(!is_window_tuis(&upper), "{upper}");
        }
        for other in [
            "part-00000-2d15da60-4270-4989-a290-1f98e4ee4180.c000.csv",
            "part-00000-deadbeef-0000-0000-0000-000000000000.c000.csv",
            "part-00001-2d15da60-4270-8989-a290-1f98e4ee4180.c000.csv",
            "part-00000-aaaa.csv",
            "mine.csv",
        ] {
            assert!(!is_window_tuis(other), "{other}");
        }
    }
}
