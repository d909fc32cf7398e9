//! Interaction wording: subjects, bodies and outcomes per channel.
//!
//! Bodies may hold placeholders filled per interaction: `{p}` a product, `{d}` a device,
//! `{n}` a small amount, `{a}` an order amount, `{m}` a month, `{h}` hours, `{s}` a score,
//! `{k}` a waybill number, `{q}` a quantity.

use guanxi_core::interaction::{Channel, Direction};

/// Outcomes that fit a kind of contact; one is drawn per interaction.
pub const INQUIRY: &[&str] = &["已解答", "待跟进", "客户考虑中", "已发送资料"];
pub const QUOTE: &[&str] = &["已发送报价", "客户考虑中", "待跟进", "已下单"];
pub const COMPLAINT: &[&str] = &["已解决", "待跟进", "已转交技术支持", "已补偿"];
pub const BILLING: &[&str] = &["已退款", "已解决", "待跟进"];
pub const SALES: &[&str] = &["已下单", "客户考虑中", "不感兴趣", "待跟进"];
pub const RENEWAL: &[&str] = &["已续约", "客户考虑中", "待跟进"];
pub const SERVICE: &[&str] = &["已解决", "待跟进", "已转交技术支持"];
pub const BOOKING: &[&str] = &["已预约上门", "待跟进"];
pub const DONE: &[&str] = &["已完成"];
pub const SENT: &[&str] = &["已送达"];
pub const ORDERED: &[&str] = &["已下单"];

pub struct Template {
    pub direction: Direction,
    pub subject: &'static str,
    pub body: &'static str,
    pub outcomes: &'static [&'static str],
}

const fn t(
    direction: Direction,
    subject: &'static str,
    body: &'static str,
    outcomes: &'static [&'static str],
) -> Template {
    Template {
        direction,
        subject,
        body,
        outcomes,
    }
}

use Direction::{Inbound as I, Outbound as O};

const PHONE_ZH: &[Template] = &[
    t(
        O,
        "电话回访",
        "回访客户{p}的使用情况，客户表示整体满意，希望晚高峰网速更稳定。",
        SERVICE,
    ),
    t(
        I,
        "咨询宽带套餐资费",
        "客户来电咨询{p}的资费和合约期，已介绍当前优惠活动，客户表示考虑后回复。",
        INQUIRY,
    ),
    t(
        I,
        "投诉账单扣费有误",
        "客户反映本月账单多扣费 {n} 元，核实后确认为系统重复计费，已提交退费申请。",
        BILLING,
    ),
    t(
        O,
        "续约提醒",
        "致电提醒客户{p}合约将于下月到期，介绍续约优惠。",
        RENEWAL,
    ),
    t(
        I,
        "报修网络故障",
        "客户来电报修网络时断时续，远程排查后判断为光猫故障，已预约工程师上门。",
        BOOKING,
    ),
    t(
        O,
        "新品推荐",
        "向客户介绍{p}，客户对价格较为敏感，已发送详细资料。",
        SALES,
    ),
    t(
        I,
        "查询订单进度",
        "客户查询订单配送进度，已告知预计三个工作日内送达。",
        INQUIRY,
    ),
    t(
        I,
        "修改账户信息",
        "客户申请变更账单寄送地址，已核实身份并完成修改。",
        DONE,
    ),
    t(
        O,
        "满意度调查",
        "开展季度满意度调查，客户评分 {s} 分，建议提高客服响应速度。",
        DONE,
    ),
    t(
        I,
        "咨询发票开具",
        "客户来电询问如何开具电子发票，已告知在 App 中申请。",
        INQUIRY,
    ),
    t(
        O,
        "欠费提醒",
        "致电提醒客户账户已欠费 {n} 元，客户承诺本周内缴清。",
        SERVICE,
    ),
];

const WECHAT_ZH: &[Template] = &[
    t(
        I,
        "微信咨询优惠活动",
        "客户通过微信询问{p}近期是否有优惠，已发送活动海报和办理链接。",
        INQUIRY,
    ),
    t(
        O,
        "发送电子发票",
        "已通过微信向客户发送 {m} 月电子发票，客户确认收到。",
        SENT,
    ),
    t(
        I,
        "咨询产品使用方法",
        "客户发来截图询问{d}如何设置，已发送操作指引视频。",
        SERVICE,
    ),
    t(O, "节日问候", "节日问候，并告知客户专属福利已到账。", SENT),
    t(
        I,
        "预约上门安装",
        "客户微信预约周末上门安装{d}，已安排工程师。",
        BOOKING,
    ),
    t(
        I,
        "反馈服务质量",
        "客户反馈上次上门工程师迟到，已致歉并登记改进。",
        COMPLAINT,
    ),
    t(
        O,
        "推送升级方案",
        "向客户推送{p}升级方案，客户表示下月再考虑。",
        SALES,
    ),
];

const EMAIL_ZH: &[Template] = &[
    t(
        I,
        "申请开具增值税专用发票",
        "客户邮件申请开具增值税专用发票，已核对开票信息并提交财务。",
        DONE,
    ),
    t(
        O,
        "发送报价单",
        "按客户需求发送{p}报价单，报价有效期 30 天。",
        QUOTE,
    ),
    t(
        O,
        "合同续签文件",
        "发送续签合同草稿，请客户法务审核。",
        RENEWAL,
    ),
    t(
        I,
        "投诉服务中断",
        "客户邮件投诉{p}服务中断约 {h} 小时，要求说明原因并补偿。",
        COMPLAINT,
    ),
    t(
        O,
        "月度账单通知",
        "发送 {m} 月账单明细，提醒客户按时缴费。",
        SENT,
    ),
    t(
        I,
        "询问合作方案",
        "客户来信了解{p}的批量采购方案和折扣政策。",
        QUOTE,
    ),
];

const VISIT_ZH: &[Template] = &[
    t(
        O,
        "上门拜访洽谈续约",
        "上门拜访客户，洽谈{p}续约事宜，客户希望价格下调 5%，需请示后答复。",
        RENEWAL,
    ),
    t(
        O,
        "上门安装调试",
        "工程师上门安装调试{d}，测试正常，客户签字确认。",
        DONE,
    ),
    t(
        I,
        "营业厅办理业务",
        "客户到营业厅办理{p}，已完成实名登记。",
        ORDERED,
    ),
    t(
        O,
        "年度业务回顾",
        "与客户召开年度业务回顾会，梳理全年用量并讨论明年需求。",
        SALES,
    ),
    t(
        O,
        "现场故障排查",
        "上门排查网络故障，更换损坏的网线后恢复正常。",
        SERVICE,
    ),
];

const CHAT_ZH: &[Template] = &[
    t(
        I,
        "在线咨询套餐",
        "客户在线咨询{p}的办理条件，已解答并引导在线下单。",
        SALES,
    ),
    t(
        I,
        "在线查询账单",
        "客户在线查询本月费用构成，已逐项解释。",
        INQUIRY,
    ),
    t(
        I,
        "在线投诉网速慢",
        "客户在线反映网速远低于签约带宽，已建单转技术支持。",
        COMPLAINT,
    ),
    t(
        I,
        "咨询退订流程",
        "客户询问如何退订增值业务，已告知退订方式。",
        INQUIRY,
    ),
];

const SMS_ZH: &[Template] = &[
    t(
        O,
        "缴费提醒短信",
        "【关系通信】尊敬的客户，您 {m} 月账单已出，请于 25 日前缴费。",
        SENT,
    ),
    t(
        O,
        "活动通知短信",
        "【关系通信】{p}限时优惠，回复 1 了解详情。",
        SENT,
    ),
    t(
        I,
        "短信回复退订",
        "客户回复 TD 退订营销短信，已加入免打扰名单。",
        DONE,
    ),
    t(
        O,
        "服务满意度短信",
        "发送服务满意度评价短信，客户回复 {s} 分。",
        DONE,
    ),
];

const WEB_ZH: &[Template] = &[
    t(
        I,
        "官网留言咨询",
        "客户在官网留言咨询{p}，留下联系方式希望回电。",
        INQUIRY,
    ),
    t(
        I,
        "官网在线下单",
        "客户通过官网下单{p}，订单金额 {a} 元。",
        ORDERED,
    ),
    t(
        I,
        "官网提交工单",
        "客户提交工单反映无法登录账户，已重置密码。",
        SERVICE,
    ),
];

const SELF_SERVICE_ZH: &[Template] = &[
    t(I, "自助缴费", "客户通过自助终端缴费 {a} 元。", DONE),
    t(
        I,
        "自助查询积分",
        "客户通过 App 查询积分并兑换话费券。",
        DONE,
    ),
    t(
        I,
        "自助办理套餐变更",
        "客户通过 App 自助变更为{p}，次月生效。",
        ORDERED,
    ),
];

const LETTER_ZH: &[Template] = &[
    t(
        O,
        "寄送纸质合同",
        "已通过顺丰寄送纸质合同一式两份，运单号 SF{k}。",
        SENT,
    ),
    t(
        I,
        "客户来函",
        "收到客户来函，要求提供近一年的消费明细。",
        SERVICE,
    ),
    t(O, "寄送会员礼品", "寄送年度会员礼品及感谢信。", SENT),
];

const FAX_ZH: &[Template] = &[
    t(I, "传真订单", "收到客户传真订单，采购{d} {q} 套。", ORDERED),
    t(
        O,
        "传真盖章合同",
        "传真发送盖章合同扫描件，请客户回传。",
        SENT,
    ),
];

const PHONE_EN: &[Template] = &[
    t(O, "Follow-up call", "Called to check how the {p} is working. Customer is satisfied overall, asked about evening speeds.", SERVICE),
    t(I, "Question about plan pricing", "Customer called about {p} pricing and contract length. Explained the current promotion; will decide next week.", INQUIRY),
    t(I, "Billing complaint", "Customer reports being overcharged {n} CNY this month. Confirmed a duplicate charge, refund requested.", BILLING),
    t(O, "Renewal reminder", "Reminded the customer that the {p} contract expires next month.", RENEWAL),
];

const WECHAT_EN: &[Template] = &[
    t(
        I,
        "Promotion inquiry",
        "Asked on WeChat whether there is a discount on {p}; sent the campaign poster and link.",
        INQUIRY,
    ),
    t(
        O,
        "E-invoice sent",
        "Sent the e-invoice for month {m} via WeChat; customer confirmed receipt.",
        SENT,
    ),
];

const EMAIL_EN: &[Template] = &[
    t(
        O,
        "Quotation",
        "Sent a quotation for {p}, valid for 30 days.",
        QUOTE,
    ),
    t(
        I,
        "Service outage complaint",
        "Customer wrote about a {h}-hour outage of {p} and asked for compensation.",
        COMPLAINT,
    ),
    t(
        I,
        "VAT invoice request",
        "Customer asked for a VAT special invoice; forwarded to finance.",
        DONE,
    ),
];

const VISIT_EN: &[Template] = &[
    t(
        O,
        "Renewal meeting",
        "Visited the customer to discuss renewal of {p}; they asked for a 5% discount.",
        RENEWAL,
    ),
    t(
        O,
        "On-site installation",
        "Engineer installed and tested the {d}; customer signed off.",
        DONE,
    ),
];

const CHAT_EN: &[Template] = &[t(
    I,
    "Chat: plan question",
    "Customer asked in chat how to sign up for {p}; guided them to order online.",
    SALES,
)];

const SMS_EN: &[Template] = &[t(
    O,
    "Payment reminder",
    "Your bill for month {m} is ready; please pay by the 25th.",
    SENT,
)];

const WEB_EN: &[Template] = &[
    t(
        I,
        "Website enquiry",
        "Left a message on the website asking about {p}; requests a call back.",
        INQUIRY,
    ),
    t(
        I,
        "Online order",
        "Ordered {p} on the website, amount {a} CNY.",
        ORDERED,
    ),
];

const SELF_SERVICE_EN: &[Template] = &[t(
    I,
    "Self-service payment",
    "Paid {a} CNY at a self-service kiosk.",
    DONE,
)];

const LETTER_EN: &[Template] = &[t(
    O,
    "Contract by post",
    "Sent two signed paper copies of the contract by SF Express, waybill SF{k}.",
    SENT,
)];

const FAX_EN: &[Template] = &[t(
    I,
    "Order by fax",
    "Received a fax order for {q} units of {d}.",
    ORDERED,
)];

/// Templates for a channel, in Chinese or English.
pub fn templates(channel: Channel, english: bool) -> &'static [Template] {
    match (channel, english) {
        (Channel::Phone, false) => PHONE_ZH,
        (Channel::Wechat, false) => WECHAT_ZH,
        (Channel::Email, false) => EMAIL_ZH,
        (Channel::Visit, false) => VISIT_ZH,
        (Channel::Chat, false) => CHAT_ZH,
        (Channel::Sms, false) => SMS_ZH,
        (Channel::Web, false) => WEB_ZH,
        (Channel::SelfService, false) => SELF_SERVICE_ZH,
        (Channel::Letter, false) => LETTER_ZH,
        (Channel::Fax, false) => FAX_ZH,
        (Channel::Phone, true) => PHONE_EN,
        (Channel::Wechat, true) => WECHAT_EN,
        (Channel::Email, true) => EMAIL_EN,
        (Channel::Visit, true) => VISIT_EN,
        (Channel::Chat, true) => CHAT_EN,
        (Channel::Sms, true) => SMS_EN,
        (Channel::Web, true) => WEB_EN,
        (Channel::SelfService, true) => SELF_SERVICE_EN,
        (Channel::Letter, true) => LETTER_EN,
        (Channel::Fax, true) => FAX_EN,
    }
}

/// The body of an unanswered outbound call.
pub const NO_ANSWER_ZH: &str = "电话无人接听，稍后再拨。";
pub const NO_ANSWER_EN: &str = "No answer; will try again later.";
pub const NO_ANSWER_OUTCOME: &str = "无人接听";

/// Channels with their weights in percent.
pub const CHANNELS: &[(Channel, u32)] = &[
    (Channel::Phone, 30),
    (Channel::Wechat, 20),
    (Channel::Email, 15),
    (Channel::Visit, 8),
    (Channel::Chat, 8),
    (Channel::Sms, 7),
    (Channel::Web, 6),
    (Channel::SelfService, 3),
    (Channel::Letter, 2),
    (Channel::Fax, 1),
];

/// Plans and services (Chinese, English) for the `{p}` placeholder.
pub const PRODUCTS: &[(&str, &str)] = &[
    ("千兆宽带套餐", "gigabit broadband plan"),
    ("5G畅享套餐", "5G unlimited plan"),
    ("企业专线", "business leased line"),
    ("云存储服务", "cloud storage service"),
    ("会员年卡", "annual membership"),
    ("融合套餐", "bundle plan"),
    ("国际漫游包", "international roaming pack"),
    ("视频会员", "video membership"),
    ("企业邮箱", "business e-mail service"),
    ("云电脑", "cloud PC"),
];

/// Equipment (Chinese, English) for the `{d}` placeholder.
pub const DEVICES: &[(&str, &str)] = &[
    ("光猫", "fibre modem"),
    ("无线路由器", "Wi-Fi router"),
    ("智能家居套装", "smart home kit"),
    ("IPTV机顶盒", "IPTV set-top box"),
    ("企业网关", "business gateway"),
    ("视频会议终端", "video conferencing terminal"),
];
