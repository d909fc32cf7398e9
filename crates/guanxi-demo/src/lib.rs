//! Realistic, repeatable demo data for Guanxi (关系): Chinese and English persons, Chinese
//! companies with their contact persons, contact points and a few years of interactions.
//!
//! The output depends only on the [`DemoConfig`] and on the batch sizes asked for: the same
//! seed and the same `max_customers` give identical batches.
//!
//! Phone numbers are unique across the whole generated set: each is a counter passed through
//! a keyed permutation of the number space, so no bookkeeping is needed. They are checked with
//! `ContactValue::parse`, once per block of leading digits (see `phone`), since a full parse
//! per number would cost more than the rest of the generation. E-mail addresses, WeChat ids and
//! company names are kept unique with a set of hashes.

mod data;
mod hash;
mod perm;
mod phone;
mod text;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use guanxi_core::contact::ContactValue;
use guanxi_core::customer::{CustomerClass, CustomerKind, CustomerStatus};
use guanxi_core::interaction::{Channel, Direction};
use guanxi_core::{ContactKind, UserId};
use guanxi_store::{BulkBatch, BulkCustomer, BulkInteraction, NewContactPoint};
use hash::{fnv, Fx};

mod orders;
pub mod sales;
use perm::Perm;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

/// What to generate.
#[derive(Clone, Debug)]
pub struct DemoConfig {
    /// How many customers (persons and companies together).
    pub customers: usize,
    pub seed: u64,
    /// Staff to use as owners and as the staff of interactions; none leaves them empty.
    pub staff: Vec<UserId>,
    /// The end of the history: nothing is created or happens after it.
    pub now: DateTime<Utc>,
    /// Length of the history in years (default 3).
    pub years: u32,
    /// Mean number of interactions per customer (default 5.0).
    pub interactions_per_customer: f64,
    /// The catalogue to order from; empty: no orders.
    pub products: Vec<DemoProduct>,
    /// Multiplies every customer's purchase rate (default 1.0: about two orders per customer
    /// over three years); benchmarks raise it to reach a number of orders.
    pub order_rate: f64,
}

/// A product of the catalogue as the generator needs it.
#[derive(Clone, Debug)]
pub struct DemoProduct {
    pub id: guanxi_core::ProductId,
    pub name: String,
    /// Fen.
    pub price: i64,
    /// Relative frequency among purchases.
    pub weight: u32,
}

/// The demo catalogue: (SKU, name, price in fen, weight), to create before generating.
pub fn demo_products() -> &'static [(&'static str, &'static str, i64, u32)] {
    data::PRODUCTS
}

impl DemoConfig {
    /// A configuration with the default history (3 years) and 5 interactions per customer.
    pub fn new(customers: usize, seed: u64, staff: Vec<UserId>, now: DateTime<Utc>) -> Self {
        Self {
            customers,
            seed,
            staff,
            now,
            years: 3,
            interactions_per_customer: 5.0,
            products: Vec::new(),
            order_rate: 1.0,
        }
    }
}

/// Staff members to create for a demo organisation: (name, e-mail) pairs.
pub fn demo_staff() -> Vec<(String, String)> {
    data::STAFF
        .iter()
        .map(|(name, local)| {
            (
                (*name).to_owned(),
                format!("{local}@{}", data::STAFF_DOMAIN),
            )
        })
        .collect()
}

// ---------------------------------------------------------------- distributions

const STATUSES: &[(CustomerStatus, u32)] = &[
    (CustomerStatus::Potential, 15),
    (CustomerStatus::New, 15),
    (CustomerStatus::Current, 45),
    (CustomerStatus::Loyal, 15),
    (CustomerStatus::Lost, 10),
];

/// Relative interaction activity per status (weighted mean 0.98, normalised when used).
fn status_activity(s: CustomerStatus) -> f64 {
    match s {
        CustomerStatus::Potential => 0.4,
        CustomerStatus::New => 0.7,
        CustomerStatus::Current => 1.1,
        CustomerStatus::Loyal => 1.6,
        CustomerStatus::Lost => 0.8,
    }
}
const ACTIVITY_MEAN: f64 = 0.98;

const CLASSES_PERSON: &[(CustomerClass, u32)] = &[
    (CustomerClass::Key, 3),
    (CustomerClass::Ordinary, 71),
    (CustomerClass::Small, 26),
];
const CLASSES_COMPANY: &[(CustomerClass, u32)] = &[
    (CustomerClass::Key, 20),
    (CustomerClass::Ordinary, 65),
    (CustomerClass::Small, 15),
];

/// Chance that a group of customers is a company with its contact persons. A company brings
/// 2.5 contact persons on average, so 2/15 of the groups give 10% companies.
const COMPANY_GROUP: f64 = 2.0 / 15.0;
/// Chance that a person has an English name: 5% of all customers are 90% persons.
const ENGLISH_PERSON: f64 = 5.0 / 90.0;

const SECONDS_PER_DAY: i64 = 86_400;
/// The fixed midnight (2026-01-01 UTC) that generation runs against; see `DemoGenerator::new`.
const ANCHOR: i64 = 1_767_225_600;
/// Offset of China Standard Time.
const CST: i64 = 8 * 3600;

/// Cumulative weights, for drawing an index.
#[derive(Clone, Debug)]
struct Cum(Vec<u32>);

impl Cum {
    fn new(weights: impl IntoIterator<Item = u32>) -> Self {
        let mut sum = 0u32;
        Self(
            weights
                .into_iter()
                .map(|w| {
                    sum += w;
                    sum
                })
                .collect(),
        )
    }

    fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = self.0.last().copied().unwrap_or(0);
        if total == 0 {
            return 0;
        }
        let x = rng.gen_range(0..total);
        self.0.partition_point(|&c| c <= x)
    }
}

/// A random element of a non-empty static list.
fn pick<'a, T>(rng: &mut ChaCha8Rng, list: &'a [T]) -> &'a T {
    &list[rng.gen_range(0..list.len())]
}

// ---------------------------------------------------------------- generator

/// The next group of customers to generate: a single person, or a company with contacts.
#[derive(Clone, Copy, Debug)]
enum Plan {
    Person,
    Company { contacts: usize },
}

impl Plan {
    fn size(self) -> usize {
        match self {
            Plan::Person => 1,
            Plan::Company { contacts } => 1 + contacts,
        }
    }
}

/// What the contact persons of a company inherit from it.
struct CompanyInfo {
    index: usize,
    city: usize,
    domain: String,
    owner: Option<UserId>,
    status: CustomerStatus,
    created: i64,
}

/// A person's name, with what e-mail addresses and WeChat ids are made of.
struct PersonName {
    name: String,
    english: bool,
    /// Lower-case pinyin (or English) of the family and given names.
    family: String,
    given: String,
    /// Initials of the given name's syllables (Chinese only).
    given_initials: String,
}

pub struct DemoGenerator {
    config: DemoConfig,
    rng: ChaCha8Rng,
    /// Orders draw from their own stream, so that customers and interactions stay the same
    /// for a seed whether or not orders are generated.
    order_rng: ChaCha8Rng,
    produced: usize,
    pending: Option<Plan>,
    start_ts: i64,
    now_ts: i64,
    /// Seconds added to every generated time (whole days from [`ANCHOR`] to today).
    shift: i64,
    mean_interactions: f64,
    mobile_perm: Perm,
    mobile_counter: u64,
    landline_perms: Vec<Perm>,
    landline_counters: Vec<u64>,
    used: HashSet<u64, Fx>,
    phones: phone::Phones,
    surnames: Cum,
    cities: Cum,
    channels: Cum,
    statuses: Cum,
    classes_person: Cum,
    classes_company: Cum,
    suffixes: Cum,
    email_zh: Cum,
    email_en: Cum,
    pinyin: HashMap<char, &'static str, Fx>,
    times: Vec<i64>,
}

impl DemoGenerator {
    pub fn new(config: DemoConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mobile_space = data::MOBILE_PREFIXES.len() as u64 * 100_000_000;
        let mobile_perm = Perm::new(mobile_space, &mut rng);
        let landline_perms = data::CITIES
            .iter()
            .map(|c| Perm::new(landline_space(c.local_len), &mut rng))
            .collect();
        // Generate against a fixed midnight and shift every time by whole days to the day of
        // `now`: the random stream then does not depend on the clock, so a seed gives the same
        // customers, counts and times of day on any day (only the dates move).
        let now = config.now.timestamp();
        let today = now - now.rem_euclid(SECONDS_PER_DAY);
        let shift = today - ANCHOR;
        let now_ts = ANCHOR;
        let span = i64::from(config.years) * 365 * SECONDS_PER_DAY;
        let mean = config.interactions_per_customer;
        Self {
            order_rng: ChaCha8Rng::seed_from_u64(config.seed ^ 0x6f72_6465_7273),
            rng,
            produced: 0,
            pending: None,
            start_ts: now_ts - span,
            now_ts,
            shift,
            mean_interactions: if mean.is_finite() && mean > 0.0 {
                mean
            } else {
                0.0
            },
            mobile_perm,
            mobile_counter: 0,
            landline_perms,
            landline_counters: vec![0; data::CITIES.len()],
            used: HashSet::default(),
            phones: phone::Phones::default(),
            surnames: Cum::new(data::SURNAMES.iter().map(|s| s.2)),
            cities: Cum::new(data::CITIES.iter().map(|c| c.weight)),
            channels: Cum::new(text::CHANNELS.iter().map(|c| c.1)),
            statuses: Cum::new(STATUSES.iter().map(|s| s.1)),
            classes_person: Cum::new(CLASSES_PERSON.iter().map(|c| c.1)),
            classes_company: Cum::new(CLASSES_COMPANY.iter().map(|c| c.1)),
            suffixes: Cum::new(data::COMPANY_SUFFIXES.iter().map(|s| s.1)),
            email_zh: Cum::new(data::EMAIL_DOMAINS_ZH.iter().map(|d| d.1)),
            email_en: Cum::new(data::EMAIL_DOMAINS_EN.iter().map(|d| d.1)),
            pinyin: data::PINYIN.iter().copied().collect(),
            times: Vec::new(),
            config,
        }
    }

    /// Next batch of at most `max_customers` customers (with their contact points and
    /// interactions), or `None` when `config.customers` have been produced. A company and its
    /// contact persons are always in the same batch; a batch size of 0 is taken as 1.
    pub fn next_batch(&mut self, max_customers: usize) -> Option<BulkBatch> {
        let total = self.config.customers;
        if self.produced >= total {
            return None;
        }
        let max = max_customers.max(1);
        let mut batch = BulkBatch {
            customers: Vec::with_capacity(max.min(total - self.produced).min(100_000)),
            interactions: Vec::new(),
            orders: Vec::new(),
        };
        while batch.customers.len() < max && self.produced < total {
            let left = total - self.produced;
            let mut plan = match self.pending.take() {
                Some(p) => p,
                None => self.plan(left),
            };
            let space = max - batch.customers.len();
            if plan.size() > space {
                if batch.customers.is_empty() {
                    plan = match plan {
                        Plan::Company { .. } if space >= 2 => Plan::Company {
                            contacts: space - 1,
                        },
                        _ => Plan::Person,
                    };
                } else {
                    self.pending = Some(plan);
                    break;
                }
            }
            self.generate(plan, &mut batch);
        }
        orders::generate(
            &mut self.order_rng,
            &self.config.products,
            &mut batch,
            self.config.now,
            self.config.order_rate,
        );
        Some(batch)
    }

    fn plan(&mut self, left: usize) -> Plan {
        if left >= 2 && self.rng.gen_bool(COMPANY_GROUP) {
            let contacts = self.rng.gen_range(1..=4).min(left - 1);
            Plan::Company { contacts }
        } else {
            Plan::Person
        }
    }

    /// Creation time of the group starting at customer number `produced`: increasing with
    /// the number, denser towards `now` (a growing business).
    fn group_created(&mut self) -> i64 {
        let total = self.config.customers.max(1) as f64;
        let c = ((self.produced as f64 + self.rng.gen::<f64>()) / total).clamp(0.0, 1.0);
        // Inverse of the CDF of the density 1 + 2u on [0, 1] (normalised).
        let u = ((1.0 + 8.0 * c).sqrt() - 1.0) / 2.0;
        let span = (self.now_ts - self.start_ts) as f64;
        let t = self.start_ts + (span * u) as i64;
        self.business_time(t, self.start_ts, self.now_ts)
    }

    /// Move `t` to a random time between 09:00 and 21:00 China time on the same day, if that
    /// stays within `lo..=hi`.
    fn business_time(&mut self, t: i64, lo: i64, hi: i64) -> i64 {
        let local = t + CST;
        let day = local - local.rem_euclid(SECONDS_PER_DAY);
        let moved = day + self.rng.gen_range(9 * 3600..21 * 3600) - CST;
        if (lo..=hi).contains(&moved) {
            moved
        } else {
            t.clamp(lo, hi.max(lo))
        }
    }

    fn generate(&mut self, plan: Plan, batch: &mut BulkBatch) {
        let created = self.group_created();
        match plan {
            Plan::Person => {
                let english = self.rng.gen_bool(ENGLISH_PERSON);
                self.person(batch, None, created, english);
            }
            Plan::Company { contacts } => {
                let company = self.company(batch, created);
                for i in 0..contacts {
                    let english = self.rng.gen_bool(ENGLISH_PERSON);
                    let offset = if i == 0 {
                        self.rng.gen_range(0..3600)
                    } else {
                        self.rng.gen_range(0..90 * SECONDS_PER_DAY)
                    };
                    let t = (company.created + offset).min(self.now_ts);
                    let t = self.business_time(t, company.created, self.now_ts);
                    self.person(batch, Some(&company), t, english);
                }
            }
        }
        self.produced += plan.size();
    }

    fn staff(&mut self) -> Option<UserId> {
        self.config.staff.choose(&mut self.rng).copied()
    }

    fn status(&mut self) -> CustomerStatus {
        STATUSES[self.statuses.sample(&mut self.rng)].0
    }

    fn tags(&mut self, status: CustomerStatus, class: CustomerClass, vip: bool) -> Vec<String> {
        let r = &mut self.rng;
        let mut tags = Vec::new();
        let mut add = |p: f64, tag: &str, r: &mut ChaCha8Rng| {
            if r.gen_bool(p) {
                tags.push(tag.to_owned());
            }
        };
        let valuable = vip || class == CustomerClass::Key;
        add(
            if valuable { 0.4 } else { 0.03 },
            data::TAG_HIGH_NET_WORTH,
            r,
        );
        let old = match status {
            CustomerStatus::Loyal => 0.6,
            CustomerStatus::Current => 0.15,
            _ => 0.0,
        };
        add(old, data::TAG_OLD_CUSTOMER, r);
        add(0.12, data::TAG_PRICE_SENSITIVE, r);
        add(0.2, data::TAG_ONLINE, r);
        add(0.08, data::TAG_REFERRAL, r);
        add(0.1, data::TAG_EVENTS, r);
        add(if vip { 0.6 } else { 0.005 }, data::TAG_VIP_SALON, r);
        add(0.05, data::TAG_COMPLAINED, r);
        let churn = match status {
            CustomerStatus::Lost => 0.3,
            CustomerStatus::Current => 0.03,
            _ => 0.0,
        };
        add(churn, data::TAG_CHURN_RISK, r);
        tags
    }

    fn class_vip(&mut self, company: bool) -> (CustomerClass, bool) {
        let (cum, list) = if company {
            (&self.classes_company, CLASSES_COMPANY)
        } else {
            (&self.classes_person, CLASSES_PERSON)
        };
        let class = list[cum.sample(&mut self.rng)].0;
        let vip = self.rng.gen_bool(if class == CustomerClass::Key {
            0.25
        } else {
            0.0185
        });
        (class, vip)
    }

    // ------------------------------------------------------------ companies

    fn company(&mut self, batch: &mut BulkBatch, created: i64) -> CompanyInfo {
        let city_i = self.cities.sample(&mut self.rng);
        let city = &data::CITIES[city_i];
        let suffix = data::COMPANY_SUFFIXES[self.suffixes.sample(&mut self.rng)].0;
        let mut name = String::new();
        let mut domain = String::new();
        for attempt in 0..8 {
            let (b1, p1) = *pick(&mut self.rng, data::BRAND_FIRST);
            let mut j = self.rng.gen_range(0..data::BRAND_SECOND.len());
            if data::BRAND_SECOND[j].0 == b1 {
                j = (j + 1) % data::BRAND_SECOND.len();
            }
            let (b2, p2) = data::BRAND_SECOND[j];
            let (ind, ind_en) = *pick(&mut self.rng, data::INDUSTRIES);
            let shi = if self.rng.gen_bool(0.5) { "市" } else { "" };
            name.clear();
            let _ = write!(name, "{}{shi}{b1}{b2}{ind}{suffix}", city.name);
            domain.clear();
            let tld = *pick(&mut self.rng, data::COMPANY_TLDS);
            let _ = match attempt {
                0..=2 => write!(domain, "{p1}{p2}{ind_en}.{tld}"),
                3..=5 => write!(domain, "{p1}{p2}{}.{tld}", city.py),
                _ => write!(
                    domain,
                    "{p1}{p2}{ind_en}{}.{tld}",
                    self.rng.gen_range(10..1000)
                ),
            };
            let name_h = fnv(&name);
            let domain_h = fnv(&domain) ^ 0x5a5a_5a5a;
            if !self.used.contains(&name_h) && !self.used.contains(&domain_h) {
                self.used.insert(name_h);
                self.used.insert(domain_h);
                break;
            }
        }

        let status = self.status();
        let (class, vip) = self.class_vip(true);
        let owner = self.staff();
        let mut tags = self.tags(status, class, vip);
        tags.retain(|t| t != data::TAG_ONLINE || self.rng.gen_bool(0.25));

        let mut cps = Vec::with_capacity(4);
        if let Some(v) = self.landline(city_i) {
            cps.push(cp(v, Some("总机"), true));
        }
        if self.rng.gen_bool(0.2) {
            if let Some(v) = self.landline(city_i) {
                let label = *pick(&mut self.rng, &["财务部", "客服热线", "销售部"]);
                cps.push(cp(v, Some(label), cps.is_empty()));
            }
        }
        if self.rng.gen_bool(0.6) {
            let local = *pick(
                &mut self.rng,
                &["info", "sales", "service", "contact", "hr"],
            );
            let addr = format!("{local}@{domain}");
            if let Some(v) = self.unique(ContactKind::Email, &addr) {
                cps.push(cp(v, Some("企业邮箱"), true));
            }
        }
        let address = self.office_address(city_i);
        if let Ok(v) = ContactValue::parse(ContactKind::Address, &address) {
            cps.push(cp(v, Some("办公地址"), false));
        }

        let index = batch.customers.len();
        batch.customers.push(BulkCustomer {
            kind: CustomerKind::Company,
            name,
            company_index: None,
            title: None,
            owner_id: owner,
            team_id: None,
            status,
            class,
            vip,
            tags,
            city: Some(city.name.to_owned()),
            birthday: None,
            created_at: self.at(created),
            contact_points: cps,
        });
        self.interactions(batch, index, status, false, owner, created);
        CompanyInfo {
            index,
            city: city_i,
            domain,
            owner,
            status,
            created,
        }
    }

    fn office_address(&mut self, city_i: usize) -> String {
        let city = &data::CITIES[city_i];
        let r = &mut self.rng;
        let district = *pick(r, city.districts);
        let road = *pick(r, data::ROADS);
        let building = *pick(r, data::BUILDINGS);
        let no = r.gen_range(1..=999);
        let floor = r.gen_range(1..=32);
        let room = r.gen_range(1..=20);
        let mut s = String::with_capacity(96);
        if r.gen_bool(0.5) {
            let block = (b'A' + r.gen_range(0..4u8)) as char;
            let _ = write!(
                s,
                "{}{district}{road}{no}号{building}{block}座{floor}{room:02}室",
                city.full
            );
        } else {
            let _ = write!(
                s,
                "{}{district}{road}{no}号{building}{floor}楼{floor}{room:02}室",
                city.full
            );
        }
        s
    }

    fn home_address(&mut self, city_i: usize) -> String {
        let city = &data::CITIES[city_i];
        let r = &mut self.rng;
        let district = *pick(r, city.districts);
        let road = *pick(r, data::ROADS);
        let estate = *pick(r, data::RESIDENCES);
        format!(
            "{}{district}{road}{}号{estate}{}栋{}单元{}{:02}室",
            city.full,
            r.gen_range(1..=500),
            r.gen_range(1..=30),
            r.gen_range(1..=4),
            r.gen_range(1..=28),
            r.gen_range(1..=6),
        )
    }

    // ------------------------------------------------------------ persons

    fn chinese_name(&mut self) -> PersonName {
        let (surname, family_py, _) = data::SURNAMES[self.surnames.sample(&mut self.rng)];
        let given = if self.rng.gen_bool(0.5) {
            *pick(&mut self.rng, data::GIVEN_MALE)
        } else {
            *pick(&mut self.rng, data::GIVEN_FEMALE)
        };
        let mut given_py = String::with_capacity(12);
        let mut initials = String::with_capacity(2);
        for c in given.chars() {
            let py = self.pinyin.get(&c).copied().unwrap_or("x");
            given_py.push_str(py);
            initials.push_str(&py[..1]);
        }
        let mut name = String::with_capacity(surname.len() + given.len());
        name.push_str(surname);
        name.push_str(given);
        PersonName {
            name,
            english: false,
            family: family_py.to_owned(),
            given: given_py,
            given_initials: initials,
        }
    }

    fn english_name(&mut self) -> PersonName {
        let first = *pick(&mut self.rng, data::ENGLISH_FIRST);
        let last = *pick(&mut self.rng, data::ENGLISH_LAST);
        PersonName {
            name: format!("{first} {last}"),
            english: true,
            family: last.to_ascii_lowercase(),
            given: first.to_ascii_lowercase(),
            given_initials: first[..1].to_ascii_lowercase(),
        }
    }

    fn person(
        &mut self,
        batch: &mut BulkBatch,
        company: Option<&CompanyInfo>,
        created: i64,
        english: bool,
    ) {
        let n = if english {
            self.english_name()
        } else {
            self.chinese_name()
        };
        let status = match company {
            Some(c) if self.rng.gen_bool(0.8) => c.status,
            _ => self.status(),
        };
        let (class, vip) = self.class_vip(false);
        let owner = match company {
            Some(c) => c.owner,
            None => self.staff(),
        };
        let tags = self.tags(status, class, vip);
        let city_i = match company {
            Some(c) => Some(c.city),
            None if self.rng.gen_bool(0.95) => Some(self.cities.sample(&mut self.rng)),
            None => None,
        };
        let birthday = if self.rng.gen_bool(0.5) {
            let year = self.config.now.year() - self.rng.gen_range(20..=70);
            NaiveDate::from_yo_opt(year, self.rng.gen_range(1..=365))
        } else {
            None
        };
        let title = company.map(|_| {
            let list = if english {
                data::TITLES_EN
            } else {
                data::TITLES_ZH
            };
            (*pick(&mut self.rng, list)).to_owned()
        });

        let mut cps = Vec::with_capacity(4);
        if let Some(v) = self.mobile() {
            cps.push(cp(v, None, true));
        }
        if self.rng.gen_bool(0.05) {
            if let Some(v) = self.mobile() {
                let label = if company.is_some() {
                    "工作"
                } else {
                    "备用"
                };
                cps.push(cp(v, Some(label), cps.is_empty()));
            }
        }
        let birth_year = birthday.map(|d| d.year());
        if self.rng.gen_bool(0.6) {
            let domain = company
                .filter(|_| self.rng.gen_bool(0.65))
                .map(|c| c.domain.as_str());
            if let Some(v) = self.person_email(&n, domain, birth_year) {
                let label = if domain.is_some() { "工作" } else { "个人" };
                cps.push(cp(v, Some(label), true));
            }
        }
        if self.rng.gen_bool(0.3) {
            if let Some(v) = self.wechat(&n, birth_year) {
                cps.push(cp(v, None, false));
            }
        }
        if company.is_none() && self.rng.gen_bool(0.08) {
            if let Some(ci) = city_i {
                let address = self.home_address(ci);
                if let Ok(v) = ContactValue::parse(ContactKind::Address, &address) {
                    cps.push(cp(v, Some("家庭住址"), false));
                }
            }
        }

        let index = batch.customers.len();
        batch.customers.push(BulkCustomer {
            kind: CustomerKind::Person,
            name: n.name,
            company_index: company.map(|c| c.index),
            title,
            owner_id: owner,
            team_id: None,
            status,
            class,
            vip,
            tags,
            city: city_i.map(|i| data::CITIES[i].name.to_owned()),
            birthday,
            created_at: self.at(created),
            contact_points: cps,
        });
        self.interactions(batch, index, status, n.english, owner, created);
    }

    // ------------------------------------------------------------ contact points

    /// A new mainland mobile number, never handed out before.
    fn mobile(&mut self) -> Option<ContactValue> {
        let mut number = String::with_capacity(11);
        for _ in 0..16 {
            let i = self.mobile_perm.apply(self.mobile_counter);
            self.mobile_counter += 1;
            let prefix =
                data::MOBILE_PREFIXES[(i / 100_000_000) as usize % data::MOBILE_PREFIXES.len()];
            number.clear();
            let _ = write!(number, "{prefix}{:08}", i % 100_000_000);
            if let Some(v) = self.phones.get(ContactKind::Mobile, &number) {
                return Some(v);
            }
        }
        None
    }

    /// A new landline in the city's area code, never handed out before.
    fn landline(&mut self, city_i: usize) -> Option<ContactValue> {
        let city = &data::CITIES[city_i];
        let first = 2 * 10u64.pow(city.local_len - 1);
        let mut number = String::with_capacity(12);
        for _ in 0..16 {
            let i = self.landline_perms[city_i].apply(self.landline_counters[city_i]);
            self.landline_counters[city_i] += 1;
            number.clear();
            let _ = write!(number, "{}{}", &city.area[1..], first + i);
            if let Some(v) = self.phones.get(ContactKind::Landline, &number) {
                return Some(v);
            }
        }
        None
    }

    /// Parse `value` as `kind` if its key was not used before, and mark it used.
    fn unique(&mut self, kind: ContactKind, value: &str) -> Option<ContactValue> {
        let v = ContactValue::parse(kind, value).ok()?;
        self.used.insert(fnv(&v.key)).then_some(v)
    }

    fn digits(&mut self, birth_year: Option<i32>) -> String {
        match (birth_year, self.rng.gen_range(0..4)) {
            (Some(y), 0) => y.to_string(),
            (Some(y), 1) => format!("{:02}", y.rem_euclid(100)),
            (_, 2) => self.rng.gen_range(1..100).to_string(),
            _ => self.rng.gen_range(100..10_000).to_string(),
        }
    }

    fn person_email(
        &mut self,
        n: &PersonName,
        company_domain: Option<&str>,
        birth_year: Option<i32>,
    ) -> Option<ContactValue> {
        let domain = match company_domain {
            Some(d) => d,
            None if n.english => data::EMAIL_DOMAINS_EN[self.email_en.sample(&mut self.rng)].0,
            None => data::EMAIL_DOMAINS_ZH[self.email_zh.sample(&mut self.rng)].0,
        };
        for attempt in 0..6 {
            let mut local = String::with_capacity(24);
            let style = if attempt == 0 && company_domain.is_some() {
                self.rng.gen_range(0..3)
            } else {
                self.rng.gen_range(0..6)
            };
            match (n.english, style) {
                (_, 0) => {
                    let _ = write!(local, "{}.{}", n.given, n.family);
                }
                (false, 1) => {
                    let _ = write!(local, "{}{}", n.family, n.given);
                }
                (true, 1) => {
                    let _ = write!(local, "{}{}", n.given, n.family);
                }
                (false, 2) => {
                    let _ = write!(local, "{}.{}", n.family, n.given_initials);
                }
                (true, 2) => {
                    let _ = write!(local, "{}{}", n.given_initials, n.family);
                }
                (false, 3) => {
                    let d = self.digits(birth_year);
                    let _ = write!(local, "{}{}{d}", n.family, n.given);
                }
                (true, 3) => {
                    let d = self.digits(birth_year);
                    let _ = write!(local, "{}{}{d}", n.given, n.family);
                }
                (false, 4) => {
                    let d = self.digits(birth_year);
                    let _ = write!(local, "{}{}{d}", &n.family[..1], n.given_initials);
                }
                (false, _) if domain == "qq.com" => {
                    let _ = write!(local, "{}", self.rng.gen_range(10_000u64..4_000_000_000));
                }
                _ => {
                    let d = self.digits(birth_year);
                    let _ = write!(local, "{}_{}{d}", n.given, n.family);
                }
            }
            if attempt >= 3 {
                let _ = write!(local, "{}", self.rng.gen_range(10..1000));
            }
            local.push('@');
            local.push_str(domain);
            if let Some(v) = self.unique(ContactKind::Email, &local) {
                return Some(v);
            }
        }
        None
    }

    fn wechat(&mut self, n: &PersonName, birth_year: Option<i32>) -> Option<ContactValue> {
        const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        for _ in 0..6 {
            let mut id = String::with_capacity(24);
            match self.rng.gen_range(0..5) {
                0 => {
                    id.push_str("wxid_");
                    for _ in 0..14 {
                        id.push(ALNUM[self.rng.gen_range(0..ALNUM.len())] as char);
                    }
                }
                1 => {
                    let d = self.digits(birth_year);
                    let _ = write!(id, "{}{}{d}", n.family, n.given);
                }
                2 => {
                    let d = self.digits(birth_year);
                    let _ = write!(id, "{}_{}{d}", n.given, n.family);
                }
                3 => {
                    let d = self.rng.gen_range(1000..100_000);
                    let _ = write!(id, "{}{}-{d}", n.given_initials, n.family);
                }
                _ => {
                    let d = self.digits(birth_year);
                    let _ = write!(id, "{}{}{d}", n.family, n.given_initials);
                }
            }
            while id.len() < 6 {
                id.push(char::from(b'0' + self.rng.gen_range(0..10u8)));
            }
            id.truncate(20);
            if let Some(v) = self.unique(ContactKind::Wechat, &id) {
                return Some(v);
            }
        }
        None
    }

    // ------------------------------------------------------------ interactions

    fn at(&self, ts: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(ts + self.shift, 0).unwrap_or(self.config.now)
    }

    /// How many interactions a customer gets: the product of two exponentials (mean 1, a
    /// long tail) scaled by the status' activity, rounded at random so the mean is exact.
    fn interaction_count(&mut self, status: CustomerStatus) -> usize {
        if self.mean_interactions <= 0.0 {
            return 0;
        }
        let e1 = -(1.0 - self.rng.gen::<f64>()).ln();
        let e2 = -(1.0 - self.rng.gen::<f64>()).ln();
        let mean = self.mean_interactions * status_activity(status) / ACTIVITY_MEAN;
        let y = (mean * e1 * e2).min(mean * 60.0 + 100.0);
        let whole = y.floor();
        let extra = usize::from(self.rng.gen::<f64>() < y - whole);
        whole as usize + extra
    }

    fn interactions(
        &mut self,
        batch: &mut BulkBatch,
        customer_index: usize,
        status: CustomerStatus,
        english: bool,
        owner: Option<UserId>,
        created: i64,
    ) {
        let count = self.interaction_count(status);
        if count == 0 {
            return;
        }
        let mut times = std::mem::take(&mut self.times);
        times.clear();
        let span = (self.now_ts - created).max(0);
        for _ in 0..count {
            let t = created + self.rng.gen_range(0..=span);
            times.push(self.business_time(t, created, self.now_ts));
        }
        times.sort_unstable();
        batch.interactions.reserve(count);
        for &t in &times {
            let i = self.interaction(customer_index, english, owner, t);
            batch.interactions.push(i);
        }
        self.times = times;
    }

    fn interaction(
        &mut self,
        customer_index: usize,
        english: bool,
        owner: Option<UserId>,
        t: i64,
    ) -> BulkInteraction {
        let channel = text::CHANNELS[self.channels.sample(&mut self.rng)].0;
        let en = english && self.rng.gen_bool(0.8);
        let tpl = pick(&mut self.rng, text::templates(channel, en));
        let direction = tpl.direction;
        let no_answer = channel == Channel::Phone
            && direction == Direction::Outbound
            && self.rng.gen_bool(0.12);

        let staff_id = match channel {
            Channel::SelfService => None,
            Channel::Web | Channel::Sms if self.rng.gen_bool(0.5) => None,
            _ if self.rng.gen_bool(0.7) && owner.is_some() => owner,
            _ => self.staff(),
        };
        let (subject, body, outcome) = if no_answer {
            let b = if en {
                text::NO_ANSWER_EN
            } else {
                text::NO_ANSWER_ZH
            };
            (tpl.subject, b.to_owned(), Some(text::NO_ANSWER_OUTCOME))
        } else {
            let body = self.fill(tpl.body, en);
            let outcome = if self.rng.gen_bool(0.85) {
                Some(*pick(&mut self.rng, tpl.outcomes))
            } else {
                None
            };
            (tpl.subject, body, outcome)
        };
        let duration_seconds = match channel {
            Channel::Phone if no_answer => Some(self.rng.gen_range(30..=60)),
            Channel::Phone => {
                let u: f64 = self.rng.gen();
                Some(30 + (1170.0 * u * u) as i64)
            }
            Channel::Visit => Some(self.rng.gen_range(600..=7200)),
            _ => None,
        };
        BulkInteraction {
            customer_index,
            channel,
            direction,
            occurred_at: self.at(t),
            staff_id,
            subject: Some(subject.to_owned()),
            body,
            duration_seconds,
            outcome: outcome.map(str::to_owned),
        }
    }

    /// Fill a body template's placeholders.
    fn fill(&mut self, template: &str, english: bool) -> String {
        let mut out = String::with_capacity(template.len() + 24);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else {
                out.push_str(&rest[open..]);
                return out;
            };
            let r = &mut self.rng;
            let _ = match &after[..close] {
                "p" => {
                    let (zh, en) = *pick(r, text::PRODUCTS);
                    out.write_str(if english { en } else { zh })
                }
                "d" => {
                    let (zh, en) = *pick(r, text::DEVICES);
                    out.write_str(if english { en } else { zh })
                }
                "n" => write!(out, "{}", r.gen_range(5..=300)),
                "a" => write!(out, "{}", r.gen_range(5..=500) * 10),
                "m" => write!(out, "{}", r.gen_range(1..=12)),
                "h" => write!(out, "{}", r.gen_range(1..=48)),
                "s" => write!(out, "{}", r.gen_range(3..=5)),
                "k" => write!(
                    out,
                    "{}",
                    r.gen_range(100_000_000_000u64..1_000_000_000_000)
                ),
                "q" => write!(out, "{}", r.gen_range(2..=200)),
                other => write!(out, "{{{other}}}"),
            };
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        out
    }
}

fn cp(value: ContactValue, label: Option<&str>, primary: bool) -> NewContactPoint {
    NewContactPoint {
        value,
        label: label.map(str::to_owned),
        primary,
    }
}

/// How many local numbers start with 2–8 and have `len` digits.
fn landline_space(len: u32) -> u64 {
    7 * 10u64.pow(len.saturating_sub(1))
}

#[cfg(test)]
mod tests;
