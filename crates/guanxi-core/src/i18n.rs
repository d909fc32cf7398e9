//! The two languages Guanxi speaks, and the wording of every validation reason in each.
//! zh-CN strings are written as a Chinese user would expect to read them.

use crate::error::Reason;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    ZhCn,
    En,
}

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    /// Parse a language tag such as `zh`, `zh-CN`, `zh-Hans-CN`, `en-GB`.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "zh" => Some(Lang::ZhCn),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// Choose from an `Accept-Language` header by quality; `None` when it names neither.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, usize, Lang)> = None;
        for (pos, part) in header.split(',').take(20).enumerate() {
            let mut pieces = part.split(';');
            let Some(lang) = pieces.next().and_then(Lang::from_tag) else {
                continue;
            };
            let q = pieces
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            let better = match best {
                None => true,
                Some((bq, bpos, _)) => q > bq || (q == bq && pos < bpos),
            };
            if better {
                best = Some((q, pos, lang));
            }
        }
        best.map(|(_, _, l)| l)
    }

    /// Pick the string for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }

    /// What comes between a label and its text: `手机：号码无效`, `mobile: not a number`.
    pub fn colon(self) -> &'static str {
        self.pick("：", ": ")
    }
}

impl Reason {
    /// The reason in words, for the person who sent the value.
    pub fn message(&self, lang: Lang) -> String {
        use Lang::*;
        let s = |zh: &str, en: &str| lang.pick(zh, en).to_owned();
        match self {
            Reason::Required => s("必填", "is required"),
            Reason::Empty => s("不能为空", "must not be empty"),
            Reason::TooLong { max } => match lang {
                ZhCn => format!("不能超过 {max} 个字符"),
                En => format!("must be at most {max} characters"),
            },
            Reason::TooMany { max } => match lang {
                ZhCn => format!("最多 {max} 项"),
                En => format!("must have at most {max} items"),
            },
            Reason::InvalidPhone => s(
                "不是有效的电话号码（例如 138 0013 8000 或 010-8888 6666）",
                "is not a valid phone number (for example 138 0013 8000 or +86 10 8888 6666)",
            ),
            Reason::InvalidEmail => s("不是有效的电子邮箱地址", "is not a valid e-mail address"),
            Reason::InvalidWechat => s(
                "不是有效的微信号（6–20 位，以字母开头，可含字母、数字、下划线和减号）",
                "is not a valid WeChat ID (6–20 letters, digits, _ or -, starting with a letter)",
            ),
            Reason::InvalidMoney => s("不是有效的金额", "is not a valid amount"),
            Reason::MoneyOverflow => s("金额超出范围", "is too large an amount"),
            Reason::InvalidCurrency => s(
                "不是有效的币种代码（如 CNY）",
                "is not a valid currency code (such as CNY)",
            ),
            Reason::NotOneOf { allowed } => match lang {
                ZhCn => format!("只能是以下之一：{}", allowed.join("、")),
                En => format!("must be one of: {}", allowed.join(", ")),
            },
            Reason::NotANumber => s("必须是数字", "must be a number"),
            Reason::NotAnInteger => s("必须是整数", "must be a whole number"),
            Reason::NotADate => s(
                "不是有效的日期（格式 YYYY-MM-DD）",
                "is not a valid date (YYYY-MM-DD)",
            ),
            Reason::NotATime => s(
                "不是有效的时间（RFC 3339 格式，例如 2024-05-01T09:30:00+08:00）",
                "is not a valid time (RFC 3339, for example 2024-05-01T09:30:00+08:00)",
            ),
            Reason::TooFarInFuture { latest } => match lang {
                ZhCn => format!("不能晚于 {latest}"),
                En => format!("must not be later than {latest}"),
            },
            Reason::InvalidTimeZone => s(
                "不是有效的时区名称（例如 Asia/Shanghai）",
                "is not a valid time zone name (for example Asia/Shanghai)",
            ),
            Reason::OutOfRange { min, max } => match lang {
                ZhCn => format!("必须在 {min} 到 {max} 之间"),
                En => format!("must be between {min} and {max}"),
            },
            Reason::UnknownField => s("不是可识别的字段", "is not a known field"),
            Reason::WrongType { expected } => match lang {
                ZhCn => format!("类型不对，应为 {}", type_zh(expected)),
                En => format!("has the wrong type, expected {expected}"),
            },
            Reason::Malformed { detail } => match lang {
                ZhCn => format!("格式不正确（{detail}）"),
                En => format!("is malformed ({detail})"),
            },
            Reason::InvalidCursor => s(
                "分页游标无效或已过期，请从第一页重新开始",
                "is not a valid page cursor; start again from the first page",
            ),
            Reason::InvalidKey => s(
                "只能以小写字母开头，由小写字母、数字和下划线组成，最多 40 个字符",
                "must start with a lower-case letter and use only a–z, 0–9 and _ (at most 40)",
            ),
            Reason::NotFound => s("指向的记录不存在", "refers to a record that does not exist"),
            Reason::Duplicate { customer_id } => match lang {
                ZhCn => format!("已属于客户 {customer_id}"),
                En => format!("already belongs to customer {customer_id}"),
            },
            Reason::ControlCharacters => s("包含不可见的控制字符", "contains control characters"),
            Reason::CompanyOnly => s("必须是公司客户", "must be a company customer"),
            Reason::PersonOnly => s("只适用于个人客户", "applies to person customers only"),
            Reason::SelfReference => s("不能指向自身", "must not refer to itself"),
            Reason::Conflict => s("与现有数据冲突", "conflicts with existing data"),
            Reason::TooShort { min } => match lang {
                ZhCn => format!("至少需要 {min} 个字符"),
                En => format!("must have at least {min} characters"),
            },
            Reason::TooCommon => s(
                "太常见，容易被猜到，请换一个更长、更独特的密码",
                "is too common and easy to guess; choose a longer, more unusual one",
            ),
            Reason::ContainsEmail => s(
                "不能包含您的邮箱用户名",
                "must not contain the name part of your e-mail address",
            ),
            Reason::WrongPassword => s("当前密码不正确", "is not your current password"),
            Reason::NotAllowed => s("超出了您的权限范围", "is outside what you are allowed to reach"),
            Reason::TotalMismatch { computed } => match lang {
                ZhCn => format!("与明细合计不符（明细合计为 {computed} 分）"),
                En => format!("does not match the lines, which add up to {computed} minor units"),
            },
            Reason::CurrencyMismatch { expected } => match lang {
                ZhCn => format!("币种与订单不一致（订单币种为 {expected}）"),
                En => format!("is priced in another currency than the order ({expected})"),
            },
            Reason::BadTransition { from, to } => match lang {
                ZhCn => format!("状态不能从“{}”改为“{}”", status_zh(from), status_zh(to)),
                En => format!("cannot go from {from} to {to}"),
            },
            Reason::AlreadyConverted { customer_id } => match lang {
                ZhCn => format!("该线索已转化为客户（编号 {customer_id}），不能重复转化"),
                En => format!("this lead was already converted into customer {customer_id}"),
            },
            Reason::LastAdmin => s(
                "这是最后一位在用的管理员，不能取消其管理员身份或停用",
                "belongs to the last active administrator, who cannot lose that role or be deactivated",
            ),
            Reason::ReadOnlyQuery => s(
                "只能是一条只读查询（SELECT、WITH 或 VALUES），不能修改数据或执行多条语句",
                "must be exactly one read-only query (SELECT, WITH or VALUES)",
            ),
            Reason::QueryFailed { detail } => match lang {
                ZhCn => format!("查询无法执行（{detail}）"),
                En => format!("cannot be run ({detail})"),
            },
            Reason::QueryTimeout { seconds } => match lang {
                ZhCn => format!("查询超过 {seconds} 秒未完成，已取消；请缩小范围或先按月汇总"),
                En => format!("ran longer than {seconds} seconds and was cancelled; narrow it or summarise first"),
            },
            Reason::RfmCellUncovered { r, f } => match lang {
                ZhCn => format!("R={r}、F={f} 的客户不属于任何分群，请让每个格子都有归属"),
                En => format!("leaves customers with R={r} and F={f} in no segment"),
            },
            Reason::ReversedRange => s("起点不能大于终点", "starts after it ends"),
            Reason::FileRemoved => s(
                "已超过保留期限并被删除，请重新上传",
                "was deleted after the retention period; upload the file again",
            ),
            Reason::Ambiguous { count } => match lang {
                ZhCn => format!("有 {count} 个客户同名，无法确定是哪一位；请加上手机、邮箱或微信列"),
                En => format!(
                    "{count} customers share this name, so it is not clear which one is meant; add a phone, e-mail or WeChat column"
                ),
            },
            Reason::QueryTooLarge => s(
                "查询所需内存超出上限，请缩小范围或减少分组",
                "needs more memory than allowed; narrow it or group by fewer columns",
            ),
        }
    }
}

fn type_zh(expected: &str) -> &str {
    match expected {
        "string" => "文本",
        "number" | "integer" => "数字",
        "boolean" => "布尔值（true/false）",
        "object" => "对象",
        "array" => "数组",
        other => other,
    }
}

/// An order, opportunity or lead status as Chinese users call it.
fn status_zh(code: &str) -> &str {
    match code {
        "placed" => "已下单",
        "paid" => "已付款",
        "shipped" => "已发货",
        "completed" => "已完成",
        "cancelled" => "已取消",
        "refunded" => "已退款",
        "open" => "进行中",
        "won" => "赢单",
        "lost" => "输单",
        "new" => "新线索",
        "working" => "跟进中",
        "qualified" => "已确认",
        "disqualified" => "无效",
        "converted" => "已转化",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_by_quality() {
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9"), Some(Lang::En));
        assert_eq!(
            Lang::from_accept_language("fr;q=1, en;q=0.5, zh-CN;q=0.8"),
            Some(Lang::ZhCn)
        );
        assert_eq!(Lang::from_accept_language("zh-Hans-CN"), Some(Lang::ZhCn));
        assert_eq!(Lang::from_accept_language("de, fr"), None);
        assert_eq!(Lang::from_accept_language("zh;q=0, en"), Some(Lang::En));
    }

    #[test]
    fn every_reason_reads_in_both_languages() {
        let reasons = [
            Reason::AlreadyConverted { customer_id: 3 },
            Reason::BadTransition {
                from: "won".into(),
                to: "open".into(),
            },
            Reason::Required,
            Reason::TooLong { max: 5 },
            Reason::InvalidPhone,
            Reason::NotOneOf {
                allowed: vec!["a".into(), "b".into()],
            },
            Reason::Duplicate { customer_id: 7 },
            Reason::ReadOnlyQuery,
            Reason::QueryFailed {
                detail: "table 'x' not found".into(),
            },
            Reason::QueryTimeout { seconds: 30 },
            Reason::QueryTooLarge,
            Reason::RfmCellUncovered { r: 2, f: 3 },
            Reason::ReversedRange,
            Reason::FileRemoved,
            Reason::Ambiguous { count: 2 },
        ];
        for r in reasons {
            let zh = r.message(Lang::ZhCn);
            let en = r.message(Lang::En);
            assert_ne!(zh, en);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{zh}"
            );
        }
    }
}
