use super::*;
use chrono::TimeZone;
use guanxi_core::PhoneNumber;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 6, 1, 8, 0, 0)
        .single()
        .expect("valid time")
}

fn config(customers: usize, seed: u64) -> DemoConfig {
    DemoConfig::new(customers, seed, (1..=8).map(UserId).collect(), now())
}

fn all_batches(config: DemoConfig, batch: usize) -> Vec<BulkBatch> {
    let mut g = DemoGenerator::new(config);
    let mut out = Vec::new();
    while let Some(b) = g.next_batch(batch) {
        assert!(b.customers.len() <= batch.max(1));
        assert!(!b.customers.is_empty());
        out.push(b);
    }
    assert!(g.next_batch(batch).is_none());
    out
}

#[test]
fn same_seed_same_batches() {
    let a = all_batches(config(1_500, 42), 100);
    let b = all_batches(config(1_500, 42), 100);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(format!("{x:?}"), format!("{y:?}"));
    }
    let c = all_batches(config(1_500, 43), 100);
    assert_ne!(format!("{:?}", a[0]), format!("{:?}", c[0]));
}

#[test]
fn the_clock_moves_dates_not_data() {
    let at = |h: u32, d: u32| {
        let mut c = config(800, 5);
        c.now = Utc
            .with_ymd_and_hms(2025, 6, d, h, 17, 3)
            .single()
            .expect("valid time");
        all_batches(c, 200)
    };
    let morning = at(1, 1);
    let evening = at(23, 1);
    let next_week = at(9, 8);
    for ((a, b), c) in morning.iter().zip(&evening).zip(&next_week) {
        // The same day: identical.
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
        // A week later: the same customers and interactions, every time a week later.
        assert_eq!(a.customers.len(), c.customers.len());
        assert_eq!(a.interactions.len(), c.interactions.len());
        for (x, y) in a.customers.iter().zip(&c.customers) {
            assert_eq!(x.name, y.name);
            assert_eq!(y.created_at - x.created_at, chrono::Duration::days(7));
        }
        for (x, y) in a.interactions.iter().zip(&c.interactions) {
            assert_eq!(x.body, y.body);
            assert_eq!(y.occurred_at - x.occurred_at, chrono::Duration::days(7));
        }
    }
}

#[test]
fn totals_and_mean_interactions() {
    for batch in [1, 2, 3, 7, 500, 10_000] {
        let batches = all_batches(config(5_000, 1), batch);
        let customers: usize = batches.iter().map(|b| b.customers.len()).sum();
        assert_eq!(customers, 5_000, "batch size {batch}");
        let interactions: usize = batches.iter().map(|b| b.interactions.len()).sum();
        let mean = interactions as f64 / customers as f64;
        assert!(
            (4.0..=6.0).contains(&mean),
            "mean {mean} for batch size {batch}"
        );
    }
    let mut c = config(5_000, 9);
    c.interactions_per_customer = 20.0;
    let batches = all_batches(c, 1000);
    let interactions: usize = batches.iter().map(|b| b.interactions.len()).sum();
    let mean = interactions as f64 / 5_000.0;
    assert!((16.0..=24.0).contains(&mean), "mean {mean}");
}

#[test]
fn small_and_empty_sets() {
    assert!(DemoGenerator::new(config(0, 1)).next_batch(10).is_none());
    for n in 1..20 {
        let batches = all_batches(config(n, n as u64), 3);
        let customers: usize = batches.iter().map(|b| b.customers.len()).sum();
        assert_eq!(customers, n);
    }
    let batches = all_batches(config(50, 5), 0);
    assert_eq!(batches.len(), 50);
}

#[test]
fn batches_are_consistent() {
    let batches = all_batches(config(5_000, 3), 250);
    for b in &batches {
        for (i, c) in b.customers.iter().enumerate() {
            if let Some(ci) = c.company_index {
                assert!(ci < i, "company after its contact person");
                assert_eq!(b.customers[ci].kind, CustomerKind::Company);
                assert_eq!(c.kind, CustomerKind::Person);
                assert!(c.title.is_some());
            }
            assert!(c.created_at <= now());
            assert!(c.created_at >= now() - chrono::Duration::days(3 * 365));
            assert!(!c.name.is_empty());
        }
        let mut last: Option<(usize, DateTime<Utc>)> = None;
        for it in &b.interactions {
            assert!(it.customer_index < b.customers.len());
            let c = &b.customers[it.customer_index];
            assert!(it.occurred_at >= c.created_at && it.occurred_at <= now());
            if let Some((ci, t)) = last {
                assert!(ci <= it.customer_index);
                if ci == it.customer_index {
                    assert!(t <= it.occurred_at, "interactions not sorted");
                }
            }
            last = Some((it.customer_index, it.occurred_at));
            match it.channel {
                Channel::Phone => {
                    let d = it.duration_seconds.expect("phone duration");
                    assert!((30..=1200).contains(&d));
                }
                Channel::Visit => {
                    let d = it.duration_seconds.expect("visit duration");
                    assert!((600..=7200).contains(&d));
                }
                _ => assert!(it.duration_seconds.is_none()),
            }
            assert!(!it.body.contains('{'), "unfilled body {}", it.body);
            assert!(it.subject.as_deref().is_some_and(|s| !s.is_empty()));
            assert!(it.staff_id.is_none_or(|s| (1..=8).contains(&s.0)));
        }
    }
}

#[test]
fn contact_points_are_valid_and_unique() {
    let batches = all_batches(config(5_000, 11), 1_000);
    let mut phones = HashSet::new();
    let mut emails = HashSet::new();
    for b in &batches {
        for c in &b.customers {
            let mut keys = HashSet::new();
            for p in &c.contact_points {
                assert!(
                    keys.insert(p.value.key.clone()),
                    "duplicate {}",
                    p.value.key
                );
                let reparsed = ContactValue::parse(p.value.kind, &p.value.display)
                    .expect("contact point parses again");
                assert_eq!(reparsed.key, p.value.key);
                match p.value.kind {
                    ContactKind::Mobile | ContactKind::Landline => {
                        let n = PhoneNumber::parse(&p.value.key).expect("phone parses");
                        assert_eq!(n.e164(), p.value.key);
                        assert!(phones.insert(p.value.key.clone()), "phone reused");
                    }
                    ContactKind::Email => {
                        assert!(emails.insert(p.value.key.clone()), "e-mail reused");
                    }
                    _ => {}
                }
            }
            let phone_kinds: Vec<_> = c
                .contact_points
                .iter()
                .filter(|p| p.value.kind.is_phone())
                .collect();
            match c.kind {
                CustomerKind::Person => {
                    assert_eq!(phone_kinds[0].value.kind, ContactKind::Mobile);
                    assert!(phone_kinds[0].value.key.starts_with("+861"));
                }
                CustomerKind::Company => {
                    assert_eq!(phone_kinds[0].value.kind, ContactKind::Landline);
                    assert!(c
                        .contact_points
                        .iter()
                        .any(|p| p.value.kind == ContactKind::Address));
                }
            }
            assert!(phone_kinds[0].primary);
            assert_eq!(phone_kinds.iter().filter(|p| p.primary).count(), 1);
        }
    }
}

#[test]
fn every_city_and_prefix_gives_valid_numbers() {
    let mut g = DemoGenerator::new(config(1, 1));
    for (i, city) in data::CITIES.iter().enumerate() {
        for _ in 0..200 {
            let v = g.landline(i).expect("landline");
            assert_eq!(v.kind, ContactKind::Landline, "{}", city.name);
            assert!(v.key.starts_with(&format!("+86{}", &city.area[1..])));
        }
    }
    for prefix in data::MOBILE_PREFIXES {
        for rest in [0u32, 12_345_678, 99_999_999] {
            let v = ContactValue::parse(ContactKind::Mobile, &format!("{prefix}{rest:08}"))
                .expect("mobile parses");
            assert_eq!(v.kind, ContactKind::Mobile, "{prefix}");
        }
    }
    // Numbers are not retried often: the counter hardly moves past what was asked for.
    for _ in 0..1000 {
        g.mobile().expect("mobile");
    }
    assert!(g.mobile_counter < 1010, "{} tries", g.mobile_counter);
}

#[test]
fn distributions_are_plausible() {
    let batches = all_batches(config(20_000, 5), 5_000);
    let customers: Vec<&BulkCustomer> = batches.iter().flat_map(|b| &b.customers).collect();
    let n = customers.len() as f64;
    let share =
        |f: &dyn Fn(&BulkCustomer) -> bool| customers.iter().filter(|c| f(c)).count() as f64 / n;
    let companies = share(&|c| c.kind == CustomerKind::Company);
    assert!((0.08..0.12).contains(&companies), "companies {companies}");
    let english = share(&|c| c.kind == CustomerKind::Person && c.name.is_ascii());
    assert!((0.035..0.065).contains(&english), "english {english}");
    let vip = share(&|c| c.vip);
    assert!((0.015..0.045).contains(&vip), "vip {vip}");
    let current = share(&|c| c.status == CustomerStatus::Current);
    assert!((0.4..0.5).contains(&current), "current {current}");
    let key = share(&|c| c.class == CustomerClass::Key);
    assert!((0.03..0.07).contains(&key), "key {key}");
    let persons: Vec<_> = customers
        .iter()
        .filter(|c| c.kind == CustomerKind::Person)
        .collect();
    let p = persons.len() as f64;
    let with = |k: ContactKind| {
        persons
            .iter()
            .filter(|c| c.contact_points.iter().any(|cp| cp.value.kind == k))
            .count() as f64
            / p
    };
    assert!((0.55..0.65).contains(&with(ContactKind::Email)));
    assert!((0.25..0.35).contains(&with(ContactKind::Wechat)));
    let birthdays = persons.iter().filter(|c| c.birthday.is_some()).count() as f64 / p;
    assert!((0.45..0.55).contains(&birthdays));
    let wang = persons.iter().filter(|c| c.name.starts_with('王')).count() as f64 / p;
    assert!((0.04..0.10).contains(&wang), "王 {wang}");

    let interactions: Vec<&BulkInteraction> =
        batches.iter().flat_map(|b| &b.interactions).collect();
    let phone = interactions
        .iter()
        .filter(|i| i.channel == Channel::Phone)
        .count() as f64
        / interactions.len() as f64;
    assert!((0.27..0.33).contains(&phone), "phone {phone}");
    // Skewed: most customers have few interactions, some have many.
    let mut counts = vec![0usize; customers.len()];
    let mut offset = 0;
    for b in &batches {
        for i in &b.interactions {
            counts[offset + i.customer_index] += 1;
        }
        offset += b.customers.len();
    }
    counts.sort_unstable();
    let median = counts[counts.len() / 2];
    assert!(median < 5, "median {median}");
    assert!(counts[counts.len() - 1] > 30);
}

#[test]
fn name_lists_are_complete() {
    for list in [data::GIVEN_MALE, data::GIVEN_FEMALE] {
        for name in list {
            for c in name.chars() {
                assert!(
                    data::PINYIN.iter().any(|(p, _)| *p == c),
                    "no pinyin for {c}"
                );
            }
        }
    }
    for (zh, en) in text::PRODUCTS {
        assert!(!zh.is_empty() && en.is_ascii());
    }
    for &(channel, _) in text::CHANNELS {
        assert!(!text::templates(channel, false).is_empty());
        assert!(!text::templates(channel, true).is_empty());
    }
    assert_eq!(text::CHANNELS.iter().map(|c| c.1).sum::<u32>(), 100);
}

#[test]
fn demo_staff_are_eight_people() {
    let staff = demo_staff();
    assert_eq!(staff.len(), 8);
    for (name, email) in &staff {
        assert!(!name.is_empty());
        assert!(email.ends_with("@demo.guanxi.example"));
        guanxi_core::Email::parse(email).expect("valid e-mail");
    }
}

#[test]
fn no_staff_means_no_owner() {
    let mut c = config(200, 2);
    c.staff.clear();
    for b in all_batches(c, 50) {
        assert!(b.customers.iter().all(|c| c.owner_id.is_none()));
        assert!(b.interactions.iter().all(|i| i.staff_id.is_none()));
    }
}

#[test]
fn derived_phone_values_equal_parsed_ones() {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut phones = phone::Phones::default();
    let mut check = |kind: ContactKind, national: String| {
        let parsed = phone::parse(kind, &national);
        // Twice: the first call may parse, the second derives from the block's template.
        let first = phones.get(kind, &national);
        let second = phones.get(kind, &national);
        assert_eq!(first, parsed, "{national}");
        assert_eq!(second, parsed, "{national}");
    };
    for prefix in data::MOBILE_PREFIXES {
        for _ in 0..100 {
            let rest = rng.gen_range(0..100_000_000u32);
            // Share the block with an earlier number now and then.
            check(ContactKind::Mobile, format!("{prefix}{rest:08}"));
            check(
                ContactKind::Mobile,
                format!(
                    "{prefix}{:03}{:05}",
                    rest / 100_000,
                    rng.gen_range(0..100_000)
                ),
            );
        }
    }
    for city in data::CITIES {
        let area = &city.area[1..];
        let len = city.local_len;
        for first in 1..=9u64 {
            for _ in 0..40 {
                let local = first * 10u64.pow(len - 1) + rng.gen_range(0..10u64.pow(len - 1));
                check(ContactKind::Landline, format!("{area}{local}"));
                let sibling = local - local % 100 + rng.gen_range(0..100);
                check(ContactKind::Landline, format!("{area}{sibling}"));
            }
        }
    }
    // Invalid numbers stay invalid.
    assert!(phones.get(ContactKind::Mobile, "12000000000").is_none());
    assert!(phones.get(ContactKind::Mobile, "12000000001").is_none());
}

fn with_products(mut c: DemoConfig) -> DemoConfig {
    c.products = demo_products()
        .iter()
        .enumerate()
        .map(|(i, (_, name, price, weight))| DemoProduct {
            id: guanxi_core::ProductId(i as i64 + 1),
            name: (*name).to_owned(),
            price: *price,
            weight: *weight,
        })
        .collect();
    c
}

#[test]
fn orders_look_like_repeat_buying() {
    let batches = all_batches(with_products(config(3_000, 7)), 500);
    let mut per_customer: HashMap<(usize, usize), usize> = HashMap::new();
    let mut buyers_possible = 0;
    for (b, batch) in batches.iter().enumerate() {
        buyers_possible += batch
            .customers
            .iter()
            .filter(|c| c.status != CustomerStatus::Potential)
            .count();
        for o in &batch.orders {
            let c = &batch.customers[o.customer_index];
            assert_ne!(
                c.status,
                CustomerStatus::Potential,
                "potential customers buy nothing"
            );
            assert!(
                o.placed_at >= c.created_at && o.placed_at < now(),
                "orders fall in the history"
            );
            assert!(!o.lines.is_empty() && o.lines.len() <= 3);
            for l in &o.lines {
                assert!(
                    guanxi_core::order::line_total(l.quantity, l.unit_price, l.discount).is_ok()
                );
            }
            assert_eq!(
                o.paid_at.is_none(),
                o.status == guanxi_core::order::OrderStatus::Cancelled
            );
            *per_customer.entry((b, o.customer_index)).or_default() += 1;
        }
    }
    let buyers = per_customer.len();
    let once = per_customer.values().filter(|n| **n == 1).count();
    let often = per_customer.values().filter(|n| **n >= 5).count();
    // Every customer who bought made a first purchase; many stop after one, some come back
    // often: the shape the lifetime-value models need.
    eprintln!("buyers {buyers} of {buyers_possible}, once {once}, five or more {often}");
    assert!(
        buyers * 100 >= buyers_possible * 90,
        "nearly every non-potential customer bought (the newest may not have yet): {buyers} of {buyers_possible}"
    );
    assert!(once * 4 > buyers, "many buy once: {once} of {buyers}");
    assert!(often * 20 > buyers, "some buy often: {often} of {buyers}");
    assert!(often < once, "repeat buyers are fewer than one-off buyers");
}

#[test]
fn orders_do_not_change_customers_or_interactions() {
    let plain = all_batches(config(800, 9), 200);
    let with = all_batches(with_products(config(800, 9)), 200);
    assert_eq!(plain.len(), with.len());
    for (a, b) in plain.iter().zip(&with) {
        assert!(a.orders.is_empty());
        assert!(!b.orders.is_empty());
        assert_eq!(format!("{:?}", a.customers), format!("{:?}", b.customers));
        assert_eq!(
            format!("{:?}", a.interactions),
            format!("{:?}", b.interactions)
        );
    }
}
