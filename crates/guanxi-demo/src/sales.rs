//! The sales side of the demo: leads from every source at every stage of qualification,
//! opportunities across the pipeline (some won, some lost with a reason), and each salesperson's
//! activities (overdue, today, upcoming). Pure: a plan that the caller applies through the
//! store, so that every record gets its events and audit like real work.

use crate::data::{
    BRAND_FIRST, BRAND_SECOND, CITIES, GIVEN_FEMALE, GIVEN_MALE, INDUSTRIES, MOBILE_PREFIXES,
    SURNAMES,
};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The course's ways of finding customers, with how often each brings a lead.
pub const LEAD_SOURCES: &[(&str, u32)] = &[
    ("referral", 18),
    ("centre_of_influence", 8),
    ("door_to_door", 6),
    ("enquiry", 14),
    ("advertising", 12),
    ("event", 14),
    ("website", 22),
    ("inbound", 6),
];

#[derive(Clone, Debug)]
pub struct LeadSpec {
    pub name: String,
    pub company: Option<String>,
    /// A mobile number, unique within the plan (and outside the customers' number space).
    pub phone: String,
    pub region: String,
    pub source: &'static str,
    /// `new`, `working`, `qualified`, `disqualified` or `converted`.
    pub status: &'static str,
    pub reason: Option<&'static str>,
    pub note: Option<String>,
    /// For `converted`: the opportunity's amount in fen.
    pub deal_amount: i64,
}

#[derive(Clone, Debug)]
pub struct DealSpec {
    /// Index into the caller's list of customers.
    pub customer: usize,
    pub name: String,
    /// Fen.
    pub amount: i64,
    /// Index of the stage in the default pipeline (0–3 open, 4 won, 5 lost).
    pub stage: usize,
    pub close_in_days: i64,
    pub reason: Option<&'static str>,
}

#[derive(Clone, Debug)]
pub struct ActivitySpec {
    /// Index into the caller's list of salespeople.
    pub assignee: usize,
    /// `call`, `meeting`, `visit` or `task`.
    pub kind: &'static str,
    pub subject: String,
    /// From now; negative is overdue.
    pub due_in_minutes: i64,
    /// Index into the caller's list of customers.
    pub customer: Option<usize>,
}

#[derive(Clone, Debug, Default)]
pub struct SalesPlan {
    pub leads: Vec<LeadSpec>,
    pub deals: Vec<DealSpec>,
    pub activities: Vec<ActivitySpec>,
}

const DISQUALIFY: &[&str] = &[
    "没有预算",
    "联系不上",
    "只是随便问问",
    "已选择竞争对手",
    "不在服务区域",
];
const LOST: &[&str] = &[
    "价格高于竞争对手",
    "客户预算削减",
    "需求取消",
    "选择了现有供应商",
];
const WON: &[&str] = &["方案领先", "价格合适", "服务口碑好", "老客户转介绍"];
const DEALS: &[&str] = &[
    "企业宽带",
    "年度采购",
    "门店扩张",
    "系统升级",
    "批量订购",
    "礼品定制",
    "年度维保",
    "会员卡团购",
];
const ASKS: &[&str] = &[
    "想了解报价",
    "需要上门演示",
    "咨询批量采购优惠",
    "想试用一个月",
    "比较几家供应商",
];
const CALLS: &[&str] = &["回访", "确认需求", "报价跟进", "合同细节沟通", "付款提醒"];

fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (v, w) in items {
        if x < *w {
            return v;
        }
        x -= w;
    }
    &items[0].0
}

fn person(rng: &mut impl Rng) -> String {
    let surname = SURNAMES.choose(rng).map(|s| s.0).unwrap_or("王");
    let given = if rng.gen_bool(0.5) {
        GIVEN_MALE
    } else {
        GIVEN_FEMALE
    };
    format!("{surname}{}", given.choose(rng).copied().unwrap_or("伟"))
}

fn company(rng: &mut impl Rng, city: &str) -> String {
    format!(
        "{city}{}{}{}有限公司",
        BRAND_FIRST.choose(rng).map(|b| b.0).unwrap_or("华"),
        BRAND_SECOND.choose(rng).map(|b| b.0).unwrap_or("信"),
        INDUSTRIES.choose(rng).map(|b| b.0).unwrap_or("科技"),
    )
}

/// A plan of `leads` leads, `deals` opportunities over `customers` customers, and activities
/// for `staff` salespeople. The same arguments give the same plan.
pub fn sales_plan(
    seed: u64,
    leads: usize,
    deals: usize,
    customers: usize,
    staff: usize,
) -> SalesPlan {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5a1e5);
    let mut plan = SalesPlan::default();
    // Lead phones come from the 199 block, numbered, so they never collide with each other.
    for i in 0..leads {
        let city = CITIES.choose(&mut rng).map(|c| c.name).unwrap_or("上海");
        let source = *weighted(&mut rng, LEAD_SOURCES);
        let roll: f64 = rng.gen();
        let status = match roll {
            r if r < 0.30 => "new",
            r if r < 0.55 => "working",
            r if r < 0.70 => "qualified",
            r if r < 0.82 => "disqualified",
            _ => "converted",
        };
        let prefix = MOBILE_PREFIXES.last().copied().unwrap_or("199");
        plan.leads.push(LeadSpec {
            name: person(&mut rng),
            company: rng.gen_bool(0.6).then(|| company(&mut rng, city)),
            phone: format!("{prefix}9{:07}", 1_000_000 + i),
            region: city.to_owned(),
            source,
            status,
            reason: (status == "disqualified")
                .then(|| *DISQUALIFY.choose(&mut rng).unwrap_or(&"没有预算")),
            note: rng
                .gen_bool(0.5)
                .then(|| (*ASKS.choose(&mut rng).unwrap_or(&"想了解报价")).to_owned()),
            deal_amount: rng.gen_range(20..600) * 10_000,
        });
    }
    if customers > 0 {
        for _ in 0..deals {
            let stage = match rng.gen_range(0..100) {
                0..=24 => 0,
                25..=44 => 1,
                45..=59 => 2,
                60..=69 => 3,
                70..=84 => 4,
                _ => 5,
            };
            plan.deals.push(DealSpec {
                customer: rng.gen_range(0..customers),
                name: (*DEALS.choose(&mut rng).unwrap_or(&"年度采购")).to_owned(),
                amount: rng.gen_range(5..500) * 100_000,
                stage,
                close_in_days: rng.gen_range(-30..180),
                reason: match stage {
                    4 => Some(*WON.choose(&mut rng).unwrap_or(&"价格合适")),
                    5 => Some(*LOST.choose(&mut rng).unwrap_or(&"需求取消")),
                    _ => None,
                },
            });
        }
    }
    for s in 0..staff {
        for _ in 0..10 {
            let kind = *["call", "call", "meeting", "visit", "task"]
                .choose(&mut rng)
                .unwrap_or(&"call");
            let customer = (customers > 0).then(|| rng.gen_range(0..customers));
            plan.activities.push(ActivitySpec {
                assignee: s,
                kind,
                subject: (*CALLS.choose(&mut rng).unwrap_or(&"回访")).to_owned(),
                // From three days ago to a week ahead, on the quarter hour.
                due_in_minutes: rng.gen_range(-3 * 96..7 * 96) * 15,
                customer,
            });
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use guanxi_core::contact::{ContactKind, ContactValue};

    #[test]
    fn the_plan_is_repeatable_and_covers_every_source() {
        let a = sales_plan(7, 400, 200, 1000, 4);
        let b = sales_plan(7, 400, 200, 1000, 4);
        assert_eq!(
            a.leads.iter().map(|l| &l.phone).collect::<Vec<_>>(),
            b.leads.iter().map(|l| &l.phone).collect::<Vec<_>>()
        );
        for (code, _) in LEAD_SOURCES {
            assert!(a.leads.iter().any(|l| l.source == *code), "{code}");
        }
        for st in ["new", "working", "qualified", "disqualified", "converted"] {
            assert!(a.leads.iter().any(|l| l.status == st), "{st}");
        }
        for stage in 0..6 {
            assert!(a.deals.iter().any(|d| d.stage == stage), "stage {stage}");
        }
        assert!(a
            .leads
            .iter()
            .all(|l| (l.status == "disqualified") == l.reason.is_some()));
        assert!(a.deals.iter().all(|d| d.customer < 1000 && d.amount > 0));
        assert_eq!(a.activities.len(), 40);
        assert!(
            a.activities.iter().any(|x| x.due_in_minutes < 0)
                && a.activities.iter().any(|x| x.due_in_minutes > 0)
        );
        let phones: std::collections::HashSet<_> = a.leads.iter().map(|l| &l.phone).collect();
        assert_eq!(phones.len(), a.leads.len());
        for l in &a.leads {
            assert!(
                ContactValue::parse(ContactKind::Mobile, &l.phone).is_ok(),
                "{}",
                l.phone
            );
        }
    }
}
