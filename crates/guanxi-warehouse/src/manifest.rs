//! `manifest.json`: the one file that says what the warehouse holds. A load writes its part
//! files first and this file last (temporary file, fsync, rename, fsync of the directory), so
//! the rename is the commit; readers register only the parts listed here.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Result, WarehouseError};
use crate::schema::Stored;

pub(crate) const MANIFEST: &str = "manifest.json";
const MANIFEST_TMP: &str = "manifest.json.tmp";
const FORMAT: u32 = 1;

/// One Parquet file, relative to the warehouse directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Part {
    pub load: u64,
    pub path: String,
    pub rows: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct OrgManifest {
    /// Table directory name → its committed parts, in load order.
    pub tables: BTreeMap<String, Vec<Part>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub format: u32,
    /// Position reached in the source by the last committed load; none before the first.
    pub watermark: Option<i64>,
    /// Where the caller stands inside a window it loads in several batches (opaque to the
    /// warehouse); none between windows. See [`crate::LoadBatch::cursor`].
    #[serde(default)]
    pub cursor: Option<String>,
    /// Number of the last committed load (0 before the first).
    pub load_seq: u64,
    /// Years the shared calendar (`dim_date`) covers.
    pub date_years: Vec<i32>,
    /// Parts of the shared calendar.
    pub dim_date: Vec<Part>,
    pub orgs: BTreeMap<i64, OrgManifest>,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            format: FORMAT,
            watermark: None,
            cursor: None,
            load_seq: 0,
            date_years: Vec::new(),
            dim_date: Vec::new(),
            orgs: BTreeMap::new(),
        }
    }
}

impl Manifest {
    /// Reads the committed manifest; an empty one if there is none yet.
    pub(crate) fn read(dir: &Path) -> Result<Manifest> {
        let path = dir.join(MANIFEST);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(WarehouseError::io(path)(e)),
        };
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| WarehouseError::Manifest {
                path: path.clone(),
                message: e.to_string(),
            })?;
        if manifest.format != FORMAT {
            return Err(WarehouseError::Manifest {
                path,
                message: format!("format {} is not the supported {FORMAT}", manifest.format),
            });
        }
        Ok(manifest)
    }

    /// Replaces the manifest atomically: temporary file, fsync, rename, fsync of the directory.
    pub(crate) fn commit(&self, dir: &Path) -> Result<()> {
        let tmp = dir.join(MANIFEST_TMP);
        let text = serde_json::to_vec_pretty(self).map_err(WarehouseError::engine)?;
        let mut file = File::create(&tmp).map_err(WarehouseError::io(&tmp))?;
        file.write_all(&text).map_err(WarehouseError::io(&tmp))?;
        file.sync_all().map_err(WarehouseError::io(&tmp))?;
        drop(file);
        let path = dir.join(MANIFEST);
        fs::rename(&tmp, &path).map_err(WarehouseError::io(&path))?;
        sync_dir(dir)
    }

    /// The committed parts of one table of one organisation (the calendar is shared).
    pub(crate) fn parts(&self, org_id: i64, table: Stored) -> &[Part] {
        if table == Stored::DimDate {
            return &self.dim_date;
        }
        self.orgs
            .get(&org_id)
            .and_then(|o| o.tables.get(table.dir()))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// Makes a directory's entries (new files, renames) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(WarehouseError::io(dir))
}

/// Directory of the parts of one load of one table, relative to the warehouse directory.
pub(crate) fn load_dir(org_id: Option<i64>, table: Stored, load: u64) -> String {
    match org_id {
        Some(org) => format!("org={org}/{}/load={load:010}", table.dir()),
        None => format!("shared/{}/load={load:010}", table.dir()),
    }
}
