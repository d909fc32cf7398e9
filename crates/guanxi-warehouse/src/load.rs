//! Incremental load: surrogate keys, customer versions, fact rows, Parquet parts, commit.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::{self, File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate};
use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use serde::{Deserialize, Serialize};

use crate::error::{Result, WarehouseError};
use crate::manifest::{load_dir, sync_dir, Manifest, Part};
use crate::rows::{CustomerRow, LoadBatch, OrderRow};
use crate::schema::Stored;

const LOCK: &str = ".lock";

/// What one committed load wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadReport {
    /// Number of this load (part files carry it in their names).
    pub load_seq: u64,
    /// Watermark stored with it.
    pub watermark: i64,
    pub orders: u64,
    pub order_lines: u64,
    pub interactions: u64,
    /// New customer versions (type 2 rows), inferred ones included.
    pub customer_versions: u64,
    /// New rows in the other dimensions (product, owner, channel, region, date).
    pub dimension_rows: u64,
    /// Parquet files written.
    pub parts: u64,
}

/// Loads one batch under the writer lock: stage the parts, then commit the manifest.
pub(crate) fn run_load(dir: &Path, batch: &LoadBatch) -> Result<LoadReport> {
    let _lock = lock(dir)?;
    let (manifest, report) = stage_locked(dir, batch)?;
    manifest.commit(dir)?;
    Ok(report)
}

/// Writes the parts of a batch and returns the manifest that would commit them. The caller must
/// hold the lock. Parts left by an earlier load that never committed are removed first.
pub(crate) fn stage_locked(dir: &Path, batch: &LoadBatch) -> Result<(Manifest, LoadReport)> {
    let manifest = Manifest::read(dir)?;
    if let Some(current) = manifest.watermark {
        // Rows at the stored watermark are a replay, unless they continue a window that is
        // loaded in several batches (a cursor on either side).
        let replay = batch.watermark == current
            && !batch.is_empty()
            && batch.cursor.is_none()
            && manifest.cursor.is_none();
        if batch.watermark < current || replay {
            return Err(WarehouseError::WatermarkNotAdvanced {
                current,
                given: batch.watermark,
            });
        }
    }
    remove_uncommitted(dir, manifest.load_seq)?;
    stage(dir, &manifest, batch)
}

/// Takes the writer lock (released when the file is dropped, or when the process dies).
pub(crate) fn lock(dir: &Path) -> Result<File> {
    let path = dir.join(LOCK);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(WarehouseError::io(&path))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(WarehouseError::Busy),
        Err(TryLockError::Error(e)) => Err(WarehouseError::io(path)(e)),
    }
}

/// Removes `load=N` directories with N above the committed load: the leftovers of a load that
/// crashed before its manifest. Readers never saw them.
fn remove_uncommitted(dir: &Path, committed: u64) -> Result<()> {
    let tops = match fs::read_dir(dir) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(WarehouseError::io(dir)(e)),
    };
    for top in tops {
        let top = top.map_err(WarehouseError::io(dir))?;
        let name = top.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("org=") || name == "shared") || !top.path().is_dir() {
            continue;
        }
        for table in fs::read_dir(top.path()).map_err(WarehouseError::io(top.path()))? {
            let table = table.map_err(WarehouseError::io(top.path()))?;
            if !table.path().is_dir() {
                continue;
            }
            for load in fs::read_dir(table.path()).map_err(WarehouseError::io(table.path()))? {
                let load = load.map_err(WarehouseError::io(table.path()))?;
                let name = load.file_name().to_string_lossy().into_owned();
                let seq = name
                    .strip_prefix("load=")
                    .and_then(|n| n.parse::<u64>().ok());
                if seq.is_some_and(|s| s > committed) {
                    fs::remove_dir_all(load.path()).map_err(WarehouseError::io(load.path()))?;
                }
            }
        }
    }
    Ok(())
}

fn stage(dir: &Path, manifest: &Manifest, batch: &LoadBatch) -> Result<(Manifest, LoadReport)> {
    let seq = manifest.load_seq + 1;
    let mut next = manifest.clone();
    next.load_seq = seq;
    next.watermark = Some(batch.watermark);
    next.cursor = batch.cursor.clone();
    let mut report = LoadReport {
        load_seq: seq,
        watermark: batch.watermark,
        ..LoadReport::default()
    };

    let orgs: BTreeSet<i64> = batch
        .customers
        .iter()
        .map(|r| r.org_id)
        .chain(batch.products.iter().map(|r| r.org_id))
        .chain(batch.owners.iter().map(|r| r.org_id))
        .chain(batch.channels.iter().map(|r| r.org_id))
        .chain(batch.regions.iter().map(|r| r.org_id))
        .chain(batch.orders.iter().map(|r| r.org_id))
        .chain(batch.interactions.iter().map(|r| r.org_id))
        .collect();

    let mut writer = PartWriter::new(dir, seq);
    let mut years = BTreeSet::new();
    for org in orgs {
        let mut dims = DimState::read(dir, manifest, org)?;
        let mut customers: Vec<&CustomerRow> =
            batch.customers.iter().filter(|r| r.org_id == org).collect();
        customers.sort_by_key(|r| (r.changed_at, r.customer_id));
        for r in customers {
            dims.upsert_customer(r);
        }
        for r in batch.products.iter().filter(|r| r.org_id == org) {
            dims.upsert_product(
                r.product_id,
                ProductAttrs {
                    sku: r.sku.clone(),
                    name: r.name.clone(),
                    category: r.category.clone(),
                    unit_price_fen: r.unit_price_fen,
                    currency: r.currency.clone(),
                },
            );
        }
        for r in batch.owners.iter().filter(|r| r.org_id == org) {
            dims.upsert_owner(
                r.owner_id,
                OwnerAttrs {
                    name: r.name.clone(),
                    team: r.team.clone(),
                },
            );
        }
        for r in batch.channels.iter().filter(|r| r.org_id == org) {
            upsert_code(&mut dims.channels, &mut dims.new_channels, &r.code, &r.name);
        }
        for r in batch.regions.iter().filter(|r| r.org_id == org) {
            upsert_code(&mut dims.regions, &mut dims.new_regions, &r.code, &r.name);
        }

        let mut orders = Vec::new();
        let mut lines = Vec::new();
        for r in batch.orders.iter().filter(|r| r.org_id == org) {
            let (order, order_lines) = dims.order_fact(r)?;
            years.insert(order.date_key / 10_000);
            orders.push(order);
            lines.extend(order_lines);
        }
        let mut interactions = Vec::new();
        for r in batch.interactions.iter().filter(|r| r.org_id == org) {
            let (date_key, month) = local_date(&r.occurred_at)?;
            years.insert(date_key / 10_000);
            let customer_key =
                dims.customer_key_at(r.customer_id, r.occurred_at.timestamp_micros());
            interactions.push(InteractionFact {
                month,
                interaction_id: r.interaction_id,
                customer_id: r.customer_id,
                customer_key,
                date_key,
                occurred_at: r.occurred_at.timestamp_micros(),
                channel_key: r
                    .channel
                    .as_deref()
                    .map(|c| code_key(&mut dims.channels, &mut dims.new_channels, c)),
                owner_key: r.owner_id.map(|o| dims.owner_key(o)),
                direction: r.direction.clone(),
                kind: r.kind.clone(),
            });
        }

        report.orders += orders.len() as u64;
        report.order_lines += lines.len() as u64;
        report.interactions += interactions.len() as u64;
        report.customer_versions += dims.new_customers.len() as u64;
        report.dimension_rows += (dims.new_products.len()
            + dims.new_owners.len()
            + dims.new_channels.len()
            + dims.new_regions.len()) as u64;

        let entry = next.orgs.entry(org).or_default();
        let mut add = |table: Stored, parts: Vec<Part>| {
            if !parts.is_empty() {
                entry
                    .tables
                    .entry(table.dir().to_owned())
                    .or_default()
                    .extend(parts);
            }
        };
        add(
            Stored::FactOrders,
            writer.write_facts(Some(org), Stored::FactOrders, &orders, |rows| {
                orders_batch(org, seq, rows)
            })?,
        );
        add(
            Stored::FactOrderLines,
            writer.write_facts(Some(org), Stored::FactOrderLines, &lines, |rows| {
                lines_batch(org, seq, rows)
            })?,
        );
        add(
            Stored::FactInteractions,
            writer.write_facts(Some(org), Stored::FactInteractions, &interactions, |rows| {
                interactions_batch(org, seq, rows)
            })?,
        );
        for (table, batch) in dims.batches(seq)? {
            add(table, writer.write_dim(Some(org), table, &batch)?);
        }
    }

    let new_years: Vec<i32> = years
        .into_iter()
        .filter(|y| !manifest.date_years.contains(y))
        .collect();
    if !new_years.is_empty() {
        let batch = dates_batch(&new_years)?;
        report.dimension_rows += batch.num_rows() as u64;
        next.dim_date
            .extend(writer.write_dim(None, Stored::DimDate, &batch)?);
        next.date_years.extend(new_years);
        next.date_years.sort_unstable();
    }
    report.parts = writer.parts;
    writer.sync()?;
    Ok((next, report))
}

/// Writes Parquet parts of one load and remembers the directories to fsync.
struct PartWriter<'a> {
    dir: &'a Path,
    seq: u64,
    dirs: BTreeSet<PathBuf>,
    parts: u64,
}

impl<'a> PartWriter<'a> {
    fn new(dir: &'a Path, seq: u64) -> Self {
        PartWriter {
            dir,
            seq,
            dirs: BTreeSet::new(),
            parts: 0,
        }
    }

    /// One part per month of the facts.
    fn write_facts<T: Fact>(
        &mut self,
        org: Option<i64>,
        table: Stored,
        rows: &[T],
        to_batch: impl Fn(&[&T]) -> Result<RecordBatch>,
    ) -> Result<Vec<Part>> {
        let mut by_month: BTreeMap<&str, Vec<&T>> = BTreeMap::new();
        for r in rows {
            by_month.entry(r.month()).or_default().push(r);
        }
        let mut parts = Vec::new();
        for (month, rows) in by_month {
            let rel = format!(
                "{}/month={month}/part-{:010}.parquet",
                load_dir(org, table, self.seq),
                self.seq
            );
            parts.push(self.write(rel, &to_batch(&rows)?)?);
        }
        Ok(parts)
    }

    fn write_dim(
        &mut self,
        org: Option<i64>,
        table: Stored,
        batch: &RecordBatch,
    ) -> Result<Vec<Part>> {
        if batch.num_rows() == 0 {
            return Ok(Vec::new());
        }
        let rel = format!(
            "{}/part-{:010}.parquet",
            load_dir(org, table, self.seq),
            self.seq
        );
        Ok(vec![self.write(rel, batch)?])
    }

    fn write(&mut self, rel: String, batch: &RecordBatch) -> Result<Part> {
        let path = self.dir.join(&rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(WarehouseError::io(parent))?;
            let mut d = parent;
            while d.starts_with(self.dir) {
                self.dirs.insert(d.to_path_buf());
                match d.parent() {
                    Some(p) => d = p,
                    None => break,
                }
            }
        }
        let file = File::create(&path).map_err(WarehouseError::io(&path))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props))
            .map_err(WarehouseError::engine)?;
        writer.write(batch).map_err(WarehouseError::engine)?;
        let file = writer.into_inner().map_err(WarehouseError::engine)?;
        file.sync_all().map_err(WarehouseError::io(&path))?;
        self.parts += 1;
        Ok(Part {
            load: self.seq,
            path: rel,
            rows: batch.num_rows() as u64,
        })
    }

    /// Makes the new directory entries durable, deepest first.
    fn sync(&self) -> Result<()> {
        for d in self.dirs.iter().rev() {
            sync_dir(d)?;
        }
        Ok(())
    }
}

trait Fact {
    fn month(&self) -> &str;
}

struct OrderFact {
    month: String,
    order_id: i64,
    version: i64,
    customer_id: i64,
    customer_key: i64,
    date_key: i32,
    ordered_at: i64,
    updated_at: i64,
    status: String,
    channel_key: Option<i64>,
    owner_key: Option<i64>,
    region_key: Option<i64>,
    total_fen: i64,
    currency: String,
}

struct LineFact {
    month: String,
    order_id: i64,
    version: i64,
    position: i32,
    date_key: i32,
    product_key: Option<i64>,
    description: String,
    quantity: i64,
    unit_price_fen: i64,
    discount_fen: i64,
    line_total_fen: i64,
}

struct InteractionFact {
    month: String,
    interaction_id: i64,
    customer_id: i64,
    customer_key: i64,
    date_key: i32,
    occurred_at: i64,
    channel_key: Option<i64>,
    owner_key: Option<i64>,
    direction: Option<String>,
    kind: String,
}

impl Fact for OrderFact {
    fn month(&self) -> &str {
        &self.month
    }
}
impl Fact for LineFact {
    fn month(&self) -> &str {
        &self.month
    }
}
impl Fact for InteractionFact {
    fn month(&self) -> &str {
        &self.month
    }
}

/// The local date of a fact as `yyyymmdd` and its month as `YYYY-MM`.
fn local_date(at: &DateTime<FixedOffset>) -> Result<(i32, String)> {
    let d = at.date_naive();
    if !(1..=9999).contains(&d.year()) {
        return Err(WarehouseError::InvalidBatch {
            message: format!("date {d} is outside the years 1 to 9999"),
        });
    }
    let key = d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32;
    Ok((key, format!("{:04}-{:02}", d.year(), d.month())))
}

#[derive(Clone, Debug, PartialEq)]
struct CustomerAttrs {
    name: String,
    kind: String,
    class: Option<String>,
    status: Option<String>,
    owner_id: Option<i64>,
    region: Option<String>,
    inferred: bool,
}

struct CustomerVersion {
    key: i64,
    valid_from: i64,
    attrs: CustomerAttrs,
}

#[derive(Clone, Debug, PartialEq)]
struct ProductAttrs {
    sku: String,
    name: String,
    category: Option<String>,
    unit_price_fen: i64,
    currency: String,
}

#[derive(Clone, Debug, PartialEq)]
struct OwnerAttrs {
    name: String,
    team: Option<String>,
}

/// Code → (key, name) with the next free key, for channels and regions.
#[derive(Default)]
struct Codes {
    map: HashMap<String, (i64, String)>,
    next: i64,
}

/// The dimensions of one organisation as stored, plus the rows this load adds.
struct DimState {
    org: i64,
    customers: HashMap<i64, Vec<CustomerVersion>>,
    next_customer: i64,
    products: HashMap<i64, (i64, ProductAttrs)>,
    next_product: i64,
    owners: HashMap<i64, (i64, OwnerAttrs)>,
    next_owner: i64,
    channels: Codes,
    regions: Codes,
    new_customers: Vec<(i64, i64, i64, CustomerAttrs)>,
    new_products: Vec<(i64, i64, ProductAttrs)>,
    new_owners: Vec<(i64, i64, OwnerAttrs)>,
    new_channels: Vec<(i64, String, String)>,
    new_regions: Vec<(i64, String, String)>,
}

impl DimState {
    fn read(dir: &Path, manifest: &Manifest, org: i64) -> Result<DimState> {
        let mut s = DimState {
            org,
            customers: HashMap::new(),
            next_customer: 1,
            products: HashMap::new(),
            next_product: 1,
            owners: HashMap::new(),
            next_owner: 1,
            channels: Codes {
                next: 1,
                ..Codes::default()
            },
            regions: Codes {
                next: 1,
                ..Codes::default()
            },
            new_customers: Vec::new(),
            new_products: Vec::new(),
            new_owners: Vec::new(),
            new_channels: Vec::new(),
            new_regions: Vec::new(),
        };
        // Rows are read in load order, so a later row of a type 1 key replaces an earlier one.
        for b in read_parts(dir, manifest.parts(org, Stored::DimCustomer))? {
            let c = Cols(&b);
            let (key, id, from) = (
                c.i64("customer_key")?,
                c.i64("customer_id")?,
                c.ts("valid_from")?,
            );
            let (name, kind, class, status) = (
                c.str("name")?,
                c.str("kind")?,
                c.str("class")?,
                c.str("status")?,
            );
            let (owner, region, inferred) =
                (c.i64("owner_id")?, c.str("region")?, c.bool("inferred")?);
            for i in 0..b.num_rows() {
                s.next_customer = s.next_customer.max(key.value(i) + 1);
                s.customers
                    .entry(id.value(i))
                    .or_default()
                    .push(CustomerVersion {
                        key: key.value(i),
                        valid_from: from.value(i),
                        attrs: CustomerAttrs {
                            name: name.value(i).to_owned(),
                            kind: kind.value(i).to_owned(),
                            class: opt_str(class, i),
                            status: opt_str(status, i),
                            owner_id: opt_i64(owner, i),
                            region: opt_str(region, i),
                            inferred: inferred.value(i),
                        },
                    });
            }
        }
        for versions in s.customers.values_mut() {
            versions.sort_by_key(|v| (v.valid_from, v.key));
        }
        for b in read_parts(dir, manifest.parts(org, Stored::DimProduct))? {
            let c = Cols(&b);
            let (key, id, sku, name) = (
                c.i64("product_key")?,
                c.i64("product_id")?,
                c.str("sku")?,
                c.str("name")?,
            );
            let (category, price, currency) = (
                c.str("category")?,
                c.i64("unit_price_fen")?,
                c.str("currency")?,
            );
            for i in 0..b.num_rows() {
                s.next_product = s.next_product.max(key.value(i) + 1);
                s.products.insert(
                    id.value(i),
                    (
                        key.value(i),
                        ProductAttrs {
                            sku: sku.value(i).to_owned(),
                            name: name.value(i).to_owned(),
                            category: opt_str(category, i),
                            unit_price_fen: price.value(i),
                            currency: currency.value(i).to_owned(),
                        },
                    ),
                );
            }
        }
        for b in read_parts(dir, manifest.parts(org, Stored::DimOwner))? {
            let c = Cols(&b);
            let (key, id, name, team) = (
                c.i64("owner_key")?,
                c.i64("owner_id")?,
                c.str("name")?,
                c.str("team")?,
            );
            for i in 0..b.num_rows() {
                s.next_owner = s.next_owner.max(key.value(i) + 1);
                s.owners.insert(
                    id.value(i),
                    (
                        key.value(i),
                        OwnerAttrs {
                            name: name.value(i).to_owned(),
                            team: opt_str(team, i),
                        },
                    ),
                );
            }
        }
        for (table, key_col, codes) in [
            (Stored::DimChannel, "channel_key", &mut s.channels),
            (Stored::DimRegion, "region_key", &mut s.regions),
        ] {
            for b in read_parts(dir, manifest.parts(org, table))? {
                let c = Cols(&b);
                let (key, code, name) = (c.i64(key_col)?, c.str("code")?, c.str("name")?);
                for i in 0..b.num_rows() {
                    codes.next = codes.next.max(key.value(i) + 1);
                    codes.map.insert(
                        code.value(i).to_owned(),
                        (key.value(i), name.value(i).to_owned()),
                    );
                }
            }
        }
        Ok(s)
    }

    /// Adds a customer version unless the version valid at `changed_at` already says the same.
    fn upsert_customer(&mut self, r: &CustomerRow) {
        let attrs = CustomerAttrs {
            name: r.name.clone(),
            kind: r.kind.clone(),
            class: r.class.clone(),
            status: r.status.clone(),
            owner_id: r.owner_id,
            region: r.region.clone(),
            inferred: false,
        };
        let valid_from = r.changed_at.timestamp_micros();
        let versions = self.customers.entry(r.customer_id).or_default();
        let at = versions.iter().rposition(|v| v.valid_from <= valid_from);
        if at.is_some_and(|i| versions[i].attrs == attrs) {
            return;
        }
        let key = self.next_customer;
        self.next_customer += 1;
        let pos = at.map_or(0, |i| i + 1);
        versions.insert(
            pos,
            CustomerVersion {
                key,
                valid_from,
                attrs: attrs.clone(),
            },
        );
        self.new_customers
            .push((key, r.customer_id, valid_from, attrs));
    }

    /// The key of the customer version valid at `at` (µs since the epoch). A fact older than
    /// the first known version takes the first one; an unknown customer gets an inferred
    /// version (empty name, kind `unknown`) that a later real row supersedes.
    fn customer_key_at(&mut self, customer_id: i64, at: i64) -> i64 {
        let versions = self.customers.entry(customer_id).or_default();
        if let Some(first) = versions.first() {
            return versions
                .iter()
                .rev()
                .find(|v| v.valid_from <= at)
                .map_or(first.key, |v| v.key);
        }
        let key = self.next_customer;
        self.next_customer += 1;
        let attrs = CustomerAttrs {
            name: String::new(),
            kind: "unknown".to_owned(),
            class: None,
            status: None,
            owner_id: None,
            region: None,
            inferred: true,
        };
        versions.push(CustomerVersion {
            key,
            valid_from: at,
            attrs: attrs.clone(),
        });
        self.new_customers.push((key, customer_id, at, attrs));
        key
    }

    fn upsert_product(&mut self, id: i64, attrs: ProductAttrs) -> i64 {
        match self.products.get(&id) {
            Some((key, old)) if *old == attrs => *key,
            Some((key, _)) => {
                let key = *key;
                self.products.insert(id, (key, attrs.clone()));
                self.new_products.push((key, id, attrs));
                key
            }
            None => {
                let key = self.next_product;
                self.next_product += 1;
                self.products.insert(id, (key, attrs.clone()));
                self.new_products.push((key, id, attrs));
                key
            }
        }
    }

    fn upsert_owner(&mut self, id: i64, attrs: OwnerAttrs) -> i64 {
        match self.owners.get(&id) {
            Some((key, old)) if *old == attrs => *key,
            Some((key, _)) => {
                let key = *key;
                self.owners.insert(id, (key, attrs.clone()));
                self.new_owners.push((key, id, attrs));
                key
            }
            None => {
                let key = self.next_owner;
                self.next_owner += 1;
                self.owners.insert(id, (key, attrs.clone()));
                self.new_owners.push((key, id, attrs));
                key
            }
        }
    }

    /// Key of an owner; an owner not yet loaded gets a row named `#<id>`.
    fn owner_key(&mut self, id: i64) -> i64 {
        match self.owners.get(&id) {
            Some((key, _)) => *key,
            None => self.upsert_owner(
                id,
                OwnerAttrs {
                    name: format!("#{id}"),
                    team: None,
                },
            ),
        }
    }

    fn order_fact(&mut self, r: &OrderRow) -> Result<(OrderFact, Vec<LineFact>)> {
        let (date_key, month) = local_date(&r.ordered_at)?;
        let at = r.ordered_at.timestamp_micros();
        let customer_key = self.customer_key_at(r.customer_id, at);
        let channel_key = r
            .channel
            .as_deref()
            .map(|c| code_key(&mut self.channels, &mut self.new_channels, c));
        let region_key = r
            .region
            .as_deref()
            .map(|c| code_key(&mut self.regions, &mut self.new_regions, c));
        let owner_key = r.owner_id.map(|o| self.owner_key(o));
        let mut lines = Vec::with_capacity(r.lines.len());
        for l in &r.lines {
            let product_key = l.product_id.map(|p| match self.products.get(&p) {
                Some((key, _)) => *key,
                None => self.upsert_product(
                    p,
                    ProductAttrs {
                        sku: String::new(),
                        name: l.description.clone(),
                        category: None,
                        unit_price_fen: l.unit_price_fen,
                        currency: r.currency.clone(),
                    },
                ),
            });
            lines.push(LineFact {
                month: month.clone(),
                order_id: r.order_id,
                version: r.version,
                position: l.position,
                date_key,
                product_key,
                description: l.description.clone(),
                quantity: l.quantity,
                unit_price_fen: l.unit_price_fen,
                discount_fen: l.discount_fen,
                line_total_fen: l.line_total_fen,
            });
        }
        let order = OrderFact {
            month,
            order_id: r.order_id,
            version: r.version,
            customer_id: r.customer_id,
            customer_key,
            date_key,
            ordered_at: at,
            updated_at: r.updated_at.timestamp_micros(),
            status: r.status.clone(),
            channel_key,
            owner_key,
            region_key,
            total_fen: r.total_fen,
            currency: r.currency.clone(),
        };
        Ok((order, lines))
    }

    /// The new dimension rows of this load, one batch per dimension that has any.
    fn batches(&self, seq: u64) -> Result<Vec<(Stored, RecordBatch)>> {
        let seq = seq as i64;
        let mut out = Vec::new();
        if !self.new_customers.is_empty() {
            let c = &self.new_customers;
            out.push((
                Stored::DimCustomer,
                batch_for_org(
                    Stored::DimCustomer,
                    Some(self.org),
                    vec![
                        a_i64(c.iter().map(|r| r.0).collect()),
                        a_i64(c.iter().map(|r| r.1).collect()),
                        a_i64(vec![seq; c.len()]),
                        a_ts(c.iter().map(|r| r.2).collect()),
                        a_str(c.iter().map(|r| r.3.name.clone()).collect()),
                        a_str(c.iter().map(|r| r.3.kind.clone()).collect()),
                        a_stro(c.iter().map(|r| r.3.class.clone()).collect()),
                        a_stro(c.iter().map(|r| r.3.status.clone()).collect()),
                        a_i64o(c.iter().map(|r| r.3.owner_id).collect()),
                        a_stro(c.iter().map(|r| r.3.region.clone()).collect()),
                        Arc::new(BooleanArray::from(
                            c.iter().map(|r| r.3.inferred).collect::<Vec<_>>(),
                        )),
                    ],
                )?,
            ));
        }
        if !self.new_products.is_empty() {
            let p = &self.new_products;
            out.push((
                Stored::DimProduct,
                batch_for_org(
                    Stored::DimProduct,
                    Some(self.org),
                    vec![
                        a_i64(p.iter().map(|r| r.0).collect()),
                        a_i64(p.iter().map(|r| r.1).collect()),
                        a_i64(vec![seq; p.len()]),
                        a_str(p.iter().map(|r| r.2.sku.clone()).collect()),
                        a_str(p.iter().map(|r| r.2.name.clone()).collect()),
                        a_stro(p.iter().map(|r| r.2.category.clone()).collect()),
                        a_i64(p.iter().map(|r| r.2.unit_price_fen).collect()),
                        a_str(p.iter().map(|r| r.2.currency.clone()).collect()),
                    ],
                )?,
            ));
        }
        if !self.new_owners.is_empty() {
            let o = &self.new_owners;
            out.push((
                Stored::DimOwner,
                batch_for_org(
                    Stored::DimOwner,
                    Some(self.org),
                    vec![
                        a_i64(o.iter().map(|r| r.0).collect()),
                        a_i64(o.iter().map(|r| r.1).collect()),
                        a_i64(vec![seq; o.len()]),
                        a_str(o.iter().map(|r| r.2.name.clone()).collect()),
                        a_stro(o.iter().map(|r| r.2.team.clone()).collect()),
                    ],
                )?,
            ));
        }
        for (table, rows) in [
            (Stored::DimChannel, &self.new_channels),
            (Stored::DimRegion, &self.new_regions),
        ] {
            if !rows.is_empty() {
                out.push((
                    table,
                    batch_for_org(
                        table,
                        Some(self.org),
                        vec![
                            a_i64(rows.iter().map(|r| r.0).collect()),
                            a_i64(vec![seq; rows.len()]),
                            a_str(rows.iter().map(|r| r.1.clone()).collect()),
                            a_str(rows.iter().map(|r| r.2.clone()).collect()),
                        ],
                    )?,
                ));
            }
        }
        Ok(out)
    }
}

/// Adds or renames a code (channel, region).
fn upsert_code(codes: &mut Codes, new: &mut Vec<(i64, String, String)>, code: &str, name: &str) {
    match codes.map.get(code) {
        Some((_, old)) if old == name => {}
        Some((key, _)) => {
            let key = *key;
            codes.map.insert(code.to_owned(), (key, name.to_owned()));
            new.push((key, code.to_owned(), name.to_owned()));
        }
        None => {
            let key = codes.next;
            codes.next += 1;
            codes.map.insert(code.to_owned(), (key, name.to_owned()));
            new.push((key, code.to_owned(), name.to_owned()));
        }
    }
}

/// Key of a code seen in a fact; a new code gets a row named by itself.
fn code_key(codes: &mut Codes, new: &mut Vec<(i64, String, String)>, code: &str) -> i64 {
    if let Some((key, _)) = codes.map.get(code) {
        return *key;
    }
    upsert_code(codes, new, code, code);
    codes.map.get(code).map_or(0, |(k, _)| *k)
}

/// Prepends `org_id` to the columns (every stored row but the calendar's carries it) and makes
/// a batch of the table's file schema.
fn batch_for_org(
    table: Stored,
    org: Option<i64>,
    mut columns: Vec<ArrayRef>,
) -> Result<RecordBatch> {
    if table != Stored::DimDate {
        let n = columns.first().map_or(0, |c| c.len());
        columns.insert(0, a_i64(vec![org.unwrap_or(0); n]));
    }
    RecordBatch::try_new(table.file_schema(), columns).map_err(WarehouseError::engine)
}

fn orders_batch(org: i64, seq: u64, rows: &[&OrderFact]) -> Result<RecordBatch> {
    batch_for_org(
        Stored::FactOrders,
        Some(org),
        vec![
            a_i64(rows.iter().map(|r| r.order_id).collect()),
            a_i64(rows.iter().map(|r| r.version).collect()),
            a_i64(vec![seq as i64; rows.len()]),
            a_i64(rows.iter().map(|r| r.customer_id).collect()),
            a_i64(rows.iter().map(|r| r.customer_key).collect()),
            a_i32(rows.iter().map(|r| r.date_key).collect()),
            a_ts(rows.iter().map(|r| r.ordered_at).collect()),
            a_ts(rows.iter().map(|r| r.updated_at).collect()),
            a_str(rows.iter().map(|r| r.status.clone()).collect()),
            a_i64o(rows.iter().map(|r| r.channel_key).collect()),
            a_i64o(rows.iter().map(|r| r.owner_key).collect()),
            a_i64o(rows.iter().map(|r| r.region_key).collect()),
            a_i64(rows.iter().map(|r| r.total_fen).collect()),
            a_str(rows.iter().map(|r| r.currency.clone()).collect()),
        ],
    )
}

fn lines_batch(org: i64, seq: u64, rows: &[&LineFact]) -> Result<RecordBatch> {
    batch_for_org(
        Stored::FactOrderLines,
        Some(org),
        vec![
            a_i64(rows.iter().map(|r| r.order_id).collect()),
            a_i64(rows.iter().map(|r| r.version).collect()),
            a_i64(vec![seq as i64; rows.len()]),
            a_i32(rows.iter().map(|r| r.position).collect()),
            a_i32(rows.iter().map(|r| r.date_key).collect()),
            a_i64o(rows.iter().map(|r| r.product_key).collect()),
            a_str(rows.iter().map(|r| r.description.clone()).collect()),
            a_i64(rows.iter().map(|r| r.quantity).collect()),
            a_i64(rows.iter().map(|r| r.unit_price_fen).collect()),
            a_i64(rows.iter().map(|r| r.discount_fen).collect()),
            a_i64(rows.iter().map(|r| r.line_total_fen).collect()),
        ],
    )
}

fn interactions_batch(org: i64, seq: u64, rows: &[&InteractionFact]) -> Result<RecordBatch> {
    batch_for_org(
        Stored::FactInteractions,
        Some(org),
        vec![
            a_i64(rows.iter().map(|r| r.interaction_id).collect()),
            a_i64(vec![seq as i64; rows.len()]),
            a_i64(rows.iter().map(|r| r.customer_id).collect()),
            a_i64(rows.iter().map(|r| r.customer_key).collect()),
            a_i32(rows.iter().map(|r| r.date_key).collect()),
            a_ts(rows.iter().map(|r| r.occurred_at).collect()),
            a_i64o(rows.iter().map(|r| r.channel_key).collect()),
            a_i64o(rows.iter().map(|r| r.owner_key).collect()),
            a_stro(rows.iter().map(|r| r.direction.clone()).collect()),
            a_str(rows.iter().map(|r| r.kind.clone()).collect()),
        ],
    )
}

/// Every day of the given years.
fn dates_batch(years: &[i32]) -> Result<RecordBatch> {
    let epoch =
        NaiveDate::from_ymd_opt(1970, 1, 1).ok_or_else(|| WarehouseError::engine("epoch"))?;
    let mut days = Vec::new();
    for &y in years {
        let first =
            NaiveDate::from_ymd_opt(y, 1, 1).ok_or_else(|| WarehouseError::InvalidBatch {
                message: format!("year {y} out of range"),
            })?;
        days.extend(first.iter_days().take_while(|d| d.year() == y));
    }
    let col = |f: &dyn Fn(&NaiveDate) -> i32| a_i32(days.iter().map(f).collect());
    let columns = vec![
        col(&|d: &NaiveDate| d.year() * 10_000 + d.month() as i32 * 100 + d.day() as i32),
        Arc::new(Date32Array::from(
            days.iter()
                .map(|d| (*d - epoch).num_days() as i32)
                .collect::<Vec<_>>(),
        )) as ArrayRef,
        col(&|d: &NaiveDate| d.year()),
        col(&|d: &NaiveDate| (d.month0() / 3 + 1) as i32),
        col(&|d: &NaiveDate| d.month() as i32),
        a_str(
            days.iter()
                .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
                .collect(),
        ),
        col(&|d: &NaiveDate| d.iso_week().year()),
        col(&|d: &NaiveDate| d.iso_week().week() as i32),
        col(&|d: &NaiveDate| d.weekday().number_from_monday() as i32),
        Arc::new(BooleanArray::from(
            days.iter()
                .map(|d| d.weekday().number_from_monday() >= 6)
                .collect::<Vec<_>>(),
        )),
    ];
    batch_for_org(Stored::DimDate, None, columns)
}

fn a_i64(v: Vec<i64>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}
fn a_i64o(v: Vec<Option<i64>>) -> ArrayRef {
    Arc::new(Int64Array::from(v))
}
fn a_i32(v: Vec<i32>) -> ArrayRef {
    Arc::new(Int32Array::from(v))
}
fn a_str(v: Vec<String>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}
fn a_stro(v: Vec<Option<String>>) -> ArrayRef {
    Arc::new(StringArray::from(v))
}
fn a_ts(v: Vec<i64>) -> ArrayRef {
    Arc::new(TimestampMicrosecondArray::from(v).with_timezone("UTC"))
}

/// Reads committed parts whole (dimensions are small next to facts).
fn read_parts(dir: &Path, parts: &[Part]) -> Result<Vec<RecordBatch>> {
    let mut out = Vec::new();
    for part in parts {
        let path = dir.join(&part.path);
        let file = File::open(&path).map_err(WarehouseError::io(&path))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(WarehouseError::engine)?;
        for b in reader {
            out.push(b.map_err(WarehouseError::engine)?);
        }
    }
    Ok(out)
}

/// Typed access to the columns of a stored batch.
struct Cols<'a>(&'a RecordBatch);

impl<'a> Cols<'a> {
    fn get<T: 'static>(&self, name: &str) -> Result<&'a T> {
        self.0
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<T>())
            .ok_or_else(|| WarehouseError::Engine {
                message: format!("stored column {name} is missing or of another type"),
            })
    }
    fn i64(&self, name: &str) -> Result<&'a Int64Array> {
        self.get(name)
    }
    fn str(&self, name: &str) -> Result<&'a StringArray> {
        self.get(name)
    }
    fn ts(&self, name: &str) -> Result<&'a TimestampMicrosecondArray> {
        self.get(name)
    }
    fn bool(&self, name: &str) -> Result<&'a BooleanArray> {
        self.get(name)
    }
}

fn opt_str(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_owned())
}

fn opt_i64(a: &Int64Array, i: usize) -> Option<i64> {
    (!a.is_null(i)).then(|| a.value(i))
}
