//! The page table and the pieces of the shell; whole pages are tested in a real browser
//! (`crates/guanxi/tests/it/browser.rs`) and over HTTP against both databases.

use super::*;

#[test]
fn only_the_sign_in_form_is_public() {
    let routes = [
        ("GET", "/"),
        ("GET", "/login"),
        ("POST", "/login"),
        ("POST", "/logout"),
        ("POST", "/lang"),
        ("GET", "/customers"),
        ("GET", "/customers/new"),
        ("POST", "/customers/new"),
        ("GET", "/customers/{id}"),
        ("POST", "/customers/views"),
        ("POST", "/customers/views/{id}/delete"),
        ("GET", "/customers/{id}/edit"),
        ("POST", "/customers/{id}/edit"),
        ("POST", "/customers/{id}/interactions"),
        ("GET", "/lookup"),
        ("GET", "/pipelines"),
        ("GET", "/my-day"),
        ("POST", "/my-day"),
        ("POST", "/my-day/feed"),
        ("POST", "/activities/{id}/done"),
        ("GET", "/pipelines/{id}"),
        ("POST", "/opportunities/{id}/move"),
        ("POST", "/customers/{id}/opportunities"),
        ("GET", "/customers/{id}/duplicates"),
        ("POST", "/customers/{id}/merge"),
        ("GET", "/admin/users"),
        ("GET", "/admin/roles"),
        ("POST", "/admin/users"),
        ("POST", "/admin/users/{id}"),
        ("POST", "/admin/users/{id}/password"),
        ("GET", "/admin/teams"),
        ("POST", "/admin/teams"),
        ("GET", "/admin/fields"),
        ("POST", "/admin/fields"),
        ("POST", "/admin/fields/{id}/delete"),
        ("GET", "/account/tokens"),
        ("POST", "/account/tokens"),
        ("POST", "/account/tokens/{id}/revoke"),
        ("GET", "/imports"),
        ("POST", "/imports"),
        ("GET", "/imports/{id}"),
        ("POST", "/imports/{id}/start"),
        ("POST", "/imports/{id}/resume"),
        ("POST", "/imports/{id}/cancel"),
        ("POST", "/imports/{id}/mapping"),
        ("GET", "/duplicates"),
        ("POST", "/duplicates/scan"),
        ("POST", "/duplicates/{id}/merge"),
        ("POST", "/duplicates/{id}/dismiss"),
        ("GET", "/customers/{id}/erase"),
        ("POST", "/customers/{id}/erase"),
        ("GET", "/analysis"),
        ("POST", "/analysis/run"),
        ("GET", "/analysis/{file}"),
        ("GET", "/analysis/sql"),
        ("POST", "/analysis/sql"),
        ("GET", "/analysis/segments"),
        ("POST", "/analysis/segments"),
        ("POST", "/analysis/segments/reset"),
    ];
    for (m, r) in routes {
        let m = Method::from_bytes(m.as_bytes()).expect("method");
        let a = action_of(&m, r).unwrap_or_else(|| panic!("{m} {r} has no action"));
        assert_eq!(a == Action::Public, r == "/login", "{m} {r}");
    }
    assert_eq!(action_of(&Method::DELETE, "/customers/{id}"), None);
}

#[test]
fn the_sign_in_redirect_stays_on_this_site() {
    let h = HeaderMap::new();
    let loc = |p: &str| {
        to_login(p, &h)
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert_eq!(loc("/customers/7"), "/login?next=%2Fcustomers%2F7");
    assert_eq!(loc("//evil.example/x"), "/login?next=%2Fcustomers");
    let mut hx = HeaderMap::new();
    hx.insert("hx-request", HeaderValue::from_static("true"));
    let r = to_login("/customers", &hx);
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(r.headers().contains_key("hx-redirect"));
}

#[test]
fn numbers_are_grouped_by_thousands() {
    use crate::pages::group_digits;
    assert_eq!(group_digits(0), "0");
    assert_eq!(group_digits(999), "999");
    assert_eq!(group_digits(1000), "1,000");
    assert_eq!(group_digits(1234567), "1,234,567");
    assert_eq!(group_digits(-12345), "-12,345");
    assert_eq!(group_digits(i64::MIN), "-9,223,372,036,854,775,808");
}

#[test]
fn every_action_has_a_name_in_both_languages() {
    for a in Action::ALL {
        if *a == Action::Public {
            continue;
        }
        for l in [Lang::ZhCn, Lang::En] {
            assert_ne!(crate::i18n::value(l, a.as_str()), "—", "{a} in {l:?}");
        }
    }
}

#[test]
fn lists_split_on_any_comma() {
    assert_eq!(
        split_list("重要, 回头客，VIP、 ,线上"),
        ["重要", "回头客", "VIP", "线上"]
    );
    assert!(split_list(" , ").is_empty());
}

#[test]
fn money_reads_as_people_write_it() {
    use crate::pages::money_text;
    let cny = guanxi_core::Currency::CNY;
    assert_eq!(money_text(25_100, cny), "¥251.00");
    assert_eq!(money_text(123_456_789, cny), "¥1,234,567.89");
    assert_eq!(money_text(-5, cny), "-¥0.05");
    let usd = guanxi_core::Currency::parse("USD").expect("usd");
    assert_eq!(money_text(1_200, usd), "USD 12.00");
}

// ---------------------------------------------------------------- imports, duplicates, erasure

mod data_in_out {
    use super::*;
    use crate::pages::imports::{
        duplicates_content, job_content, list_content, parse_columns, start_body,
    };
    use crate::pages::Viewer;
    use chrono::Utc;
    use guanxi_core::{CustomerId, DuplicateId, DuplicateScanId, ImportJobId, OrgId, Role, UserId};
    use guanxi_import::{Field, Target};
    use guanxi_store::{
        Ctx, DuplicateCandidate, DuplicateReason, DuplicateScan, DuplicateSide, DuplicateStatus,
        ImportCounts, ImportJob, ImportMapping, ImportMode, ImportPolicy, ImportRowNote,
        ImportStatus, Organisation, ScanStats, ScanStatus, User,
    };
    use serde_json::json;
    use std::collections::HashMap;

    pub(super) fn viewer(role: Role, lang: Lang) -> Viewer {
        Viewer {
            ctx: Ctx::new(OrgId(1)),
            user: User {
                id: UserId(1),
                name: "张伟".into(),
                email: "zhang.wei@example.com".into(),
                role,
                team_id: None,
                active: true,
                locale: Some(lang),
                created_at: Utc::now(),
            },
            org: Organisation {
                id: OrgId(1),
                name: "演示公司".into(),
                locale: Lang::ZhCn,
                currency: guanxi_core::Currency::CNY,
                time_zone: "Asia/Shanghai".into(),
                created_at: Utc::now(),
            },
            lang,
            csrf: Some("tok+en/1".into()),
            session: Some(1),
            reminders: Vec::new(),
        }
    }

    fn job(status: ImportStatus, mode: ImportMode, interrupted: bool) -> ImportJob {
        ImportJob {
            id: ImportJobId(7),
            org: OrgId(1),
            kind: guanxi_core::ImportKind::Customers,
            created_by: Some(UserId(1)),
            file_name: "客户名单.csv".into(),
            file_path: None,
            file_size: 1000,
            file_sha256: "00".into(),
            format: "csv".into(),
            encoding: "GBK".into(),
            mapping: json!({
                "columns": ["name", "mobile", null, "company"],
                "dates": "day_month_year",
                "headers": ["姓名", "手机", "备用", "公司"],
            }),
            policy: ImportPolicy::FillEmpty,
            mode,
            status,
            rows_done: 4,
            bytes_done: 500,
            counts: ImportCounts {
                created: 2,
                companies: 1,
                matched: 0,
                updated: 0,
                same_as: 1,
                rejected: 1,
                skipped: 0,
                duplicates: 3,
                customers: 0,
            },
            error: None,
            created_at: Utc::now(),
            heartbeat_at: Utc::now(),
            finished_at: None,
            file_removed_at: None,
            interrupted,
        }
    }

    fn rows() -> Vec<ImportRowNote> {
        vec![
            ImportRowNote {
                line: 3,
                outcome: "rejected".into(),
                customer_id: None,
                detail: json!({"reasons": [{"zh": "手机号码无效", "en": "the mobile number is not valid"}]}),
            },
            ImportRowNote {
                line: 4,
                outcome: "same_as".into(),
                customer_id: Some(CustomerId(12)),
                detail: json!({"first_line": 2}),
            },
            ImportRowNote {
                line: 5,
                outcome: "updated".into(),
                customer_id: Some(CustomerId(13)),
                detail: json!({"changes": {"city": [null, "杭州"], "tags": [["老客户"], ["老客户", "华东"]],
                               "contact_points_added": ["+86 139 1234 5678"]},
                               "also_held_by": [21]}),
            },
            ImportRowNote {
                line: 6,
                outcome: "created".into(),
                customer_id: None,
                detail: json!({"name": "张伟", "company": "杭州华信科技有限公司"}),
            },
        ]
    }

    pub(super) fn has(html: &str, parts: &[&str]) {
        for p in parts {
            assert!(html.contains(p), "{p:?} missing from\n{html}");
        }
    }

    pub(super) fn lacks(html: &str, parts: &[&str]) {
        for p in parts {
            assert!(!html.contains(p), "{p:?} should not be in\n{html}");
        }
    }

    #[test]
    fn custom_fields_are_offered_in_the_mapping_and_named_in_the_report() {
        use guanxi_core::custom_field::FieldType;
        let industry = guanxi_import::CustomField {
            key: "industry".into(),
            label_zh: "行业".into(),
            label_en: "Industry".into(),
            field_type: FieldType::Choice,
            choices: vec!["制造业".into()],
        };
        let mut j = job(ImportStatus::Done, ImportMode::Check, false);
        j.mapping["custom"] = json!([null, null, industry, null]);
        let rows = [ImportRowNote {
            line: 2,
            outcome: "updated".into(),
            customer_id: Some(CustomerId(13)),
            detail: json!({"changes": {"custom.industry": [null, "制造业"]}}),
        }];
        let html = job_content(
            &viewer(Role::Admin, Lang::ZhCn),
            &j,
            &rows,
            None,
            false,
            None,
            std::slice::from_ref(&industry),
        )
        .into_string();
        has(
            &html,
            &[
                r#"<optgroup label="自定义字段">"#,
                r#"<option value="custom.industry" selected>行业</option>"#,
                "行业：— → 制造业",
            ],
        );
    }

    #[test]
    fn a_finished_check_offers_the_mapping_editor_in_both_languages() {
        let j = job(ImportStatus::Done, ImportMode::Check, false);
        let zh = job_content(
            &viewer(Role::Admin, Lang::ZhCn),
            &j,
            &rows(),
            None,
            false,
            None,
            &[],
        )
        .into_string();
        has(
            &zh,
            &[
                "检查完成，待确认",
                "检查结果（尚未写入任何数据）",
                "新建 2 位客户",
                "（另建公司 1 家）",
                "与前面的行合并 1 行",
                "拒绝 1 行",
                "手机号码无效",
                "同第 2 行",
                "城市：— → 杭州",
                "标签：老客户 → 老客户、华东",
                "新增联系方式：+86 139 1234 5678",
                "张伟（杭州华信科技有限公司）",
                "属于另外的客户",
                r#"href="/customers/21""#,
                r#"href="/imports/7?outcome=created""#,
                r#"href="/api/v1/imports/7/rows.csv""#,
                "下载报告（CSV）",
                r#"href="/customers/12""#,
                r#"action="/imports/7/start""#,
                r#"name="col_0""#,
                r#"name="col_3""#,
                r#"<option value="name" selected>姓名</option>"#,
                r#"<option value="" selected>不导入</option>"#,
                r#"<option value="dmy" selected>"#,
                r#"<option value="fill" selected>只补充空白字段</option>"#,
                "开始导入",
                "重新检查",
                "保存为映射方案",
                r#"value="50""#,
                "已处理 4 行",
                r#"name="_csrf" value="tok+en/1""#,
            ],
        );
        // A check looks for no look-alikes, and nothing runs, so nothing to cancel or resume.
        lacks(
            &zh,
            &[
                "疑似重复 3 对",
                "cancel-import",
                "resume-import",
                "the mobile number",
            ],
        );
        let en = job_content(
            &viewer(Role::Admin, Lang::En),
            &j,
            &rows(),
            None,
            false,
            None,
            &[],
        )
        .into_string();
        has(
            &en,
            &[
                "Checked, waiting for you",
                "New customers: 2",
                " (new companies: 1)",
                "Rejected: 1",
                "the mobile number is not valid",
                "Same as line 2",
                "Import now",
                "Check again",
                "Save mapping",
                r#"<option value="mobile" selected>Mobile</option>"#,
            ],
        );
        lacks(&en, &["手机号码无效", "开始导入"]);
        // The select offers every field a column of a customer file can fill, and no other.
        for f in Field::ALL {
            let offered = en.contains(&format!(r#"<option value="{}""#, f.as_str()));
            let belongs = guanxi_import::fields_of(guanxi_core::ImportKind::Customers).contains(&f);
            assert_eq!(offered, belongs, "{f:?}");
        }
    }

    #[test]
    fn a_checked_file_of_orders_offers_order_fields_and_counts_records() {
        let mut j = job(ImportStatus::Done, ImportMode::Check, false);
        j.kind = guanxi_core::ImportKind::Orders;
        j.file_name = "店铺订单.csv".into();
        j.mapping = json!({
            "kind": "orders",
            "columns": ["order_no", "name", "amount", "date"],
            "dates": "year_month_day",
            "headers": ["订单编号", "收货人姓名", "实付金额", "订单创建时间"],
        });
        j.counts = ImportCounts {
            created: 5,
            matched: 2,
            rejected: 1,
            customers: 3,
            ..ImportCounts::default()
        };
        let rows = vec![ImportRowNote {
            line: 4,
            outcome: "matched".into(),
            customer_id: Some(CustomerId(9)),
            detail: json!({"order_id": 77}),
        }];
        let zh = job_content(
            &viewer(Role::Admin, Lang::ZhCn),
            &j,
            &rows,
            None,
            false,
            None,
            &[],
        )
        .into_string();
        has(
            &zh,
            &[
                r#"data-kind="orders""#,
                "新建 5 条",
                "已存在 2 条（不重复写入）",
                "为其新建客户 3 位",
                "已存在，未重复写入",
                "订单 #77",
                r#"<option value="amount" selected>金额</option>"#,
                r#"<option value="order_no" selected>订单号</option>"#,
            ],
        );
        // No customer policy for records, no customer-only fields, no look-alike filter.
        lacks(
            &zh,
            &[
                "mapping-policy",
                r#"value="birthday""#,
                "possible_duplicate",
                "新建 5 位客户",
            ],
        );
        let en = job_content(
            &viewer(Role::Admin, Lang::En),
            &j,
            &rows,
            None,
            false,
            None,
            &[],
        )
        .into_string();
        has(
            &en,
            &["Orders", "Created: 5", "Customers created for them: 3"],
        );
    }

    #[test]
    fn a_job_whose_file_was_removed_offers_neither_import_nor_resume() {
        let v = viewer(Role::Manager, Lang::ZhCn);
        // A check waiting for its import, and an interrupted import: both would offer to run.
        for (status, mode, interrupted, button) in [
            (ImportStatus::Done, ImportMode::Check, false, "mapping-form"),
            (
                ImportStatus::Running,
                ImportMode::Import,
                true,
                "resume-import",
            ),
            (
                ImportStatus::Failed,
                ImportMode::Import,
                false,
                "resume-import",
            ),
        ] {
            let mut j = job(status, mode, interrupted);
            let html = job_content(&v, &j, &[], None, false, None, &[]).into_string();
            has(&html, &[button]);
            lacks(&html, &["file-removed"]);
            j.file_removed_at = Some(Utc::now());
            let html = job_content(&v, &j, &[], None, false, None, &[]).into_string();
            has(&html, &["file-removed", "超过保留期限", "请重新上传文件"]);
            lacks(&html, &[button]);
            let en = job_content(
                &viewer(Role::Admin, Lang::En),
                &j,
                &[],
                None,
                false,
                None,
                &[],
            )
            .into_string();
            has(
                &en,
                &["after the retention period", "upload the file again"],
            );
        }
    }

    #[test]
    fn running_interrupted_failed_and_done_jobs_say_what_comes_next() {
        let v = viewer(Role::Manager, Lang::ZhCn);
        let running = job(ImportStatus::Running, ImportMode::Import, false);
        let html = job_content(&v, &running, &[], None, false, None, &[]).into_string();
        has(
            &html,
            &["导入中", "cancel-import", "取消导入", "没有需要查看的行"],
        );
        lacks(&html, &["mapping-form", "resume-import"]);

        let stopped = job(ImportStatus::Running, ImportMode::Import, true);
        let html = job_content(&v, &stopped, &[], None, false, None, &[]).into_string();
        has(&html, &["已中断（可继续）", "resume-import", "继续导入"]);
        lacks(&html, &["cancel-import"]);

        let mut failed = job(ImportStatus::Failed, ImportMode::Import, false);
        failed.error = Some("读取文件失败：磁盘已满 / reading the file failed: disk full".into());
        let zh = job_content(&v, &failed, &[], None, false, None, &[]).into_string();
        has(&zh, &["失败", "读取文件失败：磁盘已满", "resume-import"]);
        lacks(&zh, &["disk full"]);
        let en = job_content(
            &viewer(Role::Admin, Lang::En),
            &failed,
            &[],
            None,
            false,
            None,
            &[],
        )
        .into_string();
        has(
            &en,
            &["Failed", "reading the file failed: disk full", "Resume"],
        );

        let done = job(ImportStatus::Done, ImportMode::Import, false);
        let html =
            job_content(&v, &done, &rows(), Some("rejected"), false, None, &[]).into_string();
        has(
            &html,
            &[
                "导入完成",
                "疑似重复 3 对",
                r#"href="/duplicates""#,
                "去处理疑似重复客户",
                r#"href="/imports/7?outcome=rejected" aria-current="true""#,
            ],
        );
        lacks(&html, &["mapping-form", "cancel-import", "resume-import"]);
    }

    #[test]
    fn the_upload_page_posts_a_file_with_the_token_in_its_address() {
        let jobs = [
            job(ImportStatus::Running, ImportMode::Check, true),
            job(ImportStatus::Done, ImportMode::Import, false),
        ];
        let mappings = [ImportMapping {
            id: 1,
            name: "旧系统导出".into(),
            mapping: json!({}),
        }];
        let zh =
            list_content(&viewer(Role::Admin, Lang::ZhCn), &jobs, &mappings, None).into_string();
        has(
            &zh,
            &[
                r#"action="/imports?_csrf=tok%2Ben%2F1""#,
                r#"enctype="multipart/form-data""#,
                r#"accept=".csv,.tsv,.txt,.xlsx,.vcf""#,
                "跳过已有客户",
                "只补充空白字段",
                "用文件覆盖",
                "确认之前不会写入任何数据",
                "旧系统导出",
                "已中断（可继续）",
                "导入完成",
                "客户名单.csv",
                r#"href="/imports/7""#,
                r#"name="mode" value="check""#,
            ],
        );
        let e = ApiError::Validation(vec![guanxi_core::FieldError::new(
            "file",
            guanxi_core::Reason::Required,
        )]);
        let en = list_content(&viewer(Role::Admin, Lang::En), &[], &[], Some(&e)).into_string();
        has(
            &en,
            &["Import data", "No imports yet.", "import-error", "File: "],
        );
        // No saved mappings, no select for them.
        lacks(&en, &["mapping_name", "老"]);
    }

    #[test]
    fn the_mapping_form_parses_into_fields() {
        let form = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let f = form(&[
            ("_csrf", "x"),
            ("mode", "import"),
            ("policy", "overwrite"),
            ("dates", "mdy"),
            ("col_0", "name"),
            ("col_1", ""),
            ("col_3", "wechat"),
            ("col_2", "email"),
        ]);
        let body = start_body(&f, 4).expect("parses");
        assert_eq!(body.mode, "import");
        assert_eq!(body.policy.as_deref(), Some("overwrite"));
        assert_eq!(body.dates.as_deref(), Some("mdy"));
        assert_eq!(
            body.columns,
            Some(vec![
                Some(Target::Field(Field::Name)),
                None,
                Some(Target::Field(Field::Email)),
                Some(Target::Field(Field::Wechat))
            ])
        );
        // Columns the form leaves out are left out; a form without columns keeps the job's.
        assert_eq!(
            parse_columns(
                &form(&[("col_1", "mobile"), ("col_2", "custom.industry")]),
                3
            )
            .expect("parses"),
            Some(vec![
                None,
                Some(Target::Field(Field::Mobile)),
                Some(Target::Custom("industry".into()))
            ])
        );
        assert_eq!(
            parse_columns(&form(&[("mode", "check")]), 3).expect("ok"),
            None
        );
        let b = start_body(&form(&[]), 2).expect("defaults");
        assert_eq!((b.mode.as_str(), b.policy, b.dates), ("check", None, None));
        // Unknown fields and columns the file does not have are named.
        match parse_columns(&form(&[("col_0", "shoe_size"), ("col_9", "name")]), 2) {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["col_9", "columns[0]"]);
            }
            other => panic!("{other:?}"),
        }
        assert!(parse_columns(&form(&[("col_x", "name")]), 2).is_err());
    }

    fn pair() -> DuplicateCandidate {
        let side = |id: i64, name: &str, phone: &str| DuplicateSide {
            id: CustomerId(id),
            name: name.into(),
            company: Some("华兴贸易".into()),
            city: None,
            contacts: vec![phone.into(), "li@example.com".into()],
            created_at: Utc::now(),
        };
        DuplicateCandidate {
            id: DuplicateId(5),
            a: side(21, "李明", "+8613800138000"),
            b: side(34, "李明", "+8613800138001"),
            reason: DuplicateReason::SimilarPhone,
            score: 80,
            status: DuplicateStatus::Open,
            found_by: "scan".into(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_duplicate_queue_shows_both_sides_and_the_choices() {
        let zh = duplicates_content(
            &viewer(Role::Admin, Lang::ZhCn),
            &[pair()],
            None,
            Some(Msg::ScanStarted),
            None,
        )
        .into_string();
        has(
            &zh,
            &[
                "疑似重复客户",
                "姓名相同，电话只差一位",
                "相似度 80",
                r#"href="/customers/21""#,
                r#"href="/customers/34""#,
                "+8613800138001",
                "华兴贸易",
                r#"action="/duplicates/5/merge""#,
                r#"name="keep" value="21""#,
                r#"name="keep" value="34""#,
                "保留左边并合并",
                "保留右边并合并",
                "不是同一人",
                r#"action="/duplicates/5/dismiss""#,
                r#"action="/duplicates/scan""#,
                "扫描全部客户",
                "已开始扫描全部客户",
            ],
        );
        let en = duplicates_content(&viewer(Role::Manager, Lang::En), &[], None, None, None)
            .into_string();
        has(
            &en,
            &[
                "Possible duplicates",
                "No possible duplicates to review.",
                "Scan all customers",
            ],
        );
        lacks(&en, &["last-scan"]);
    }

    fn scan(status: ScanStatus, interrupted: bool, error: Option<&str>) -> DuplicateScan {
        DuplicateScan {
            id: DuplicateScanId(3),
            status,
            interrupted,
            started_by: None,
            stats: ScanStats {
                customers: 1_234_567,
                groups: 10,
                pairs_compared: 20,
                found: 1_204,
            },
            error: error.map(str::to_owned),
            started_at: Utc::now(),
            finished_at: (status != ScanStatus::Running).then(Utc::now),
        }
    }

    #[test]
    fn the_queue_says_where_the_last_scan_stands() {
        let zh = |sc: DuplicateScan| {
            duplicates_content(&viewer(Role::Admin, Lang::ZhCn), &[], Some(&sc), None, None)
                .into_string()
        };
        let running = zh(scan(ScanStatus::Running, false, None));
        has(
            &running,
            &["正在扫描全部客户", "自动刷新", r#"data-status="running""#],
        );
        assert!(
            running.contains("disabled"),
            "no second scan while one runs: {running}"
        );
        let done = zh(scan(ScanStatus::Done, false, None));
        has(
            &done,
            &["上次扫描", "比较了 1,234,567 位客户", "新发现 1,204 对"],
        );
        lacks(&done, &["disabled"]);
        let stopped = zh(scan(ScanStatus::Running, true, None));
        has(
            &stopped,
            &["没有完成", "服务器在扫描过程中重启了", "可以重新扫描"],
        );
        lacks(&stopped, &["disabled"]);
        has(
            &zh(scan(ScanStatus::Failed, false, Some("unavailable"))),
            &["数据库暂时无法访问"],
        );
        let en = duplicates_content(
            &viewer(Role::Admin, Lang::En),
            &[],
            Some(&scan(ScanStatus::Failed, false, Some("internal"))),
            None,
            None,
        )
        .into_string();
        has(&en, &["did not finish", "an internal error occurred"]);
    }

    #[test]
    fn erasing_asks_for_the_name_and_says_what_stays() {
        use crate::pages::customers::{erase_content, same_name};
        let v = viewer(Role::Admin, Lang::ZhCn);
        let html = erase_content(&v, CustomerId(9), "王小红", "", false).into_string();
        has(
            &html,
            &[
                "彻底删除个人信息",
                "此操作无法撤销",
                "订单",
                "审计日志",
                r#"action="/customers/9/erase""#,
                r#"name="confirm_name""#,
            ],
        );
        lacks(&html, &["erase-name-error"]);
        let en = erase_content(
            &viewer(Role::Admin, Lang::En),
            CustomerId(9),
            "Mary Lee",
            "Mary",
            true,
        )
        .into_string();
        has(
            &en,
            &[
                "This cannot be undone.",
                "erase-name-error",
                r#"value="Mary""#,
            ],
        );
        assert!(same_name(" 王小红 ", "王小红"));
        assert!(same_name("mary  lee", "Mary Lee"));
        assert!(!same_name("王小", "王小红"));
        assert!(!same_name("", ""));
    }

    #[test]
    fn only_roles_with_the_action_reach_imports_duplicates_and_erasure() {
        use guanxi_core::access::grant;
        let cases: [(&str, &str, &[Role]); 5] = [
            ("GET", "/imports", &[Role::Admin, Role::Manager]),
            ("POST", "/imports/{id}/start", &[Role::Admin, Role::Manager]),
            ("GET", "/duplicates", &[Role::Admin, Role::Manager]),
            (
                "POST",
                "/duplicates/{id}/merge",
                &[Role::Admin, Role::Manager],
            ),
            ("POST", "/customers/{id}/erase", &[Role::Admin]),
        ];
        let all = [
            Role::Admin,
            Role::Manager,
            Role::SalesRep,
            Role::Agent,
            Role::Marketer,
            Role::Analyst,
        ];
        for (m, r, allowed) in cases {
            let m = Method::from_bytes(m.as_bytes()).expect("method");
            let action = action_of(&m, r).expect("an action");
            for role in all {
                assert_eq!(
                    grant(role, action).is_some(),
                    allowed.contains(&role),
                    "{role:?} {m} {r}"
                );
            }
        }
        // A refusal is the 403 page, in the language asked for.
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("en"));
        let res = WebGate.refuse(ApiError::Forbidden, "/imports", &h);
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
    }

    pub(super) async fn body(res: axum::response::Response) -> String {
        use http_body_util::BodyExt;
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[tokio::test]
    async fn the_navigation_links_follow_the_role() {
        let page = |role: Role| {
            let v = viewer(role, Lang::ZhCn);
            crate::layout::page(&v.shell(), "t", maud::html! {})
        };
        let admin = body(page(Role::Admin)).await;
        assert!(admin.contains(r#"<a href="/imports">导入</a>"#), "{admin}");
        assert!(admin.contains(r#"<a href="/duplicates">疑似重复</a>"#));
        let rep = body(page(Role::SalesRep)).await;
        assert!(!rep.contains(r#"href="/imports""#));
        assert!(!rep.contains(r#"href="/duplicates""#));
    }
}

// ---------------------------------------------------------------- decision support

mod decision_support {
    use super::data_in_out::{has, lacks, viewer};
    use super::*;
    use crate::pages::analysis::{
        csv_bytes, dashboard_content, money_short, table, value_panel, Dash, SegmentNames, CHARTS,
    };
    use chrono::{NaiveDate, Utc};
    use guanxi_core::{CustomerId, OrgId, Role, ScoreRunId};
    use guanxi_store::{CustomerScore, ScoreChange, ScoreCount, ScoreRun, StoredScore};
    use serde_json::json;

    fn count(key: &str, key2: Option<&str>, customers: u64) -> ScoreCount {
        ScoreCount {
            key: key.into(),
            key2: key2.map(str::to_owned),
            customers,
            revenue: customers as i64 * 10_000,
            clv: customers as i64 * 5_000,
        }
    }

    fn report(fits: bool) -> serde_json::Value {
        let bgnbd = if fits {
            json!({"ok": true, "r": 0.2429, "alpha": 4.4136, "a": 0.7929, "b": 2.4259,
                   "log_likelihood": -9582.43, "iterations": 31})
        } else {
            json!({"ok": false, "error": "no_repeat"})
        };
        json!({
            "as_of": "2026-03-31", "customers": 3, "purchases": 7,
            "left_out": {"future": 1, "not_positive": 0, "other_currency": 2},
            "settings": {"margin": 0.3, "clv_months": 12, "monthly_discount": 0.01},
            "bgnbd": bgnbd,
            "gamma_gamma": {"ok": false, "error": "not_converged"},
            "tiers": [{"tier": "A", "customers": 1, "revenue": 80000}],
            "lorenz": [[0.0, 0.0], [0.5, 0.2], [1.0, 1.0]],
            "gini": if fits { json!(0.4) } else { serde_json::Value::Null },
            "months": [{"month": "2026-02", "revenue": 12345, "customers": 2, "new_customers": 1},
                       {"month": "2026-03", "revenue": 0, "customers": 0, "new_customers": 0}],
            "cohorts": [{"month": "2026-02", "size": 2, "active": [2, 1]},
                        {"month": "2026-03", "size": 0, "active": [0]}],
        })
    }

    fn dash(fits: bool, org_wide: bool) -> Dash {
        Dash {
            run: ScoreRun {
                id: ScoreRunId(1),
                org: OrgId(1),
                created_by: None,
                as_of: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
                started_at: Utc::now(),
                finished_at: Utc::now(),
                customers: 3,
                purchases: 7,
                report: report(fits),
            },
            org_wide,
            tiers: vec![count("A", None, 1), count("C", None, 2)],
            segments: vec![count("champions", None, 1), count("my_own", None, 2)],
            stages: vec![count("exploration", None, 2), count("decline", None, 1)],
            risks: vec![count("high", None, 1)],
            rf: vec![count("5", Some("4"), 1), count("1", Some("1"), 2)],
            migration: vec![
                count("", Some("champions"), 1),
                count("loyal", Some("at_risk"), 2),
            ],
            clv: vec![count("1000", None, 2), count("none", None, 1)],
            segs: SegmentNames::default(),
        }
    }

    fn render(v: &crate::pages::Viewer, d: Option<&Dash>, running: bool) -> String {
        dashboard_content(v, d, running, None).into_string()
    }

    #[test]
    fn no_run_yet_explains_and_offers_the_button_to_those_who_may_run() {
        let zh = render(&viewer(Role::Analyst, Lang::ZhCn), None, false);
        has(
            &zh,
            &[
                "还没有计算过客户价值",
                r#"action="/analysis/run""#,
                r#"name="_csrf""#,
                "重新计算",
            ],
        );
        let en = render(&viewer(Role::Marketer, Lang::En), None, false);
        has(&en, &["has not been computed yet", "Ask an administrator"]);
        lacks(&en, &["/analysis/run"]);
        let busy = render(&viewer(Role::Admin, Lang::ZhCn), None, true);
        has(&busy, &["计算中…", "disabled"]);
    }

    #[test]
    fn every_number_drills_down_to_its_customers() {
        let v = viewer(Role::Admin, Lang::ZhCn);
        let html = render(&v, Some(&dash(true, true)), false);
        has(
            &html,
            &[
                r#"href="/customers?tier=A""#,
                r#"href="/customers?rfm_r=5&amp;rfm_f=4""#,
                r#"href="/customers?segment=champions""#,
                r#"href="/customers?segment=my_own""#,
                r#"href="/customers?stage=exploration""#,
                r#"href="/customers?risk=high""#,
                r#"href="/customers?clv_min=1000&amp;clv_below=10000""#,
                r#"href="/customers?prev_segment=loyal&amp;segment=at_risk""#,
                "重要价值客户",
                "退化期",
                "首次评分",
                "r = 0.2429, α = 4.414, a = 0.7929, b = 2.426",
                "未能拟合",
                "模型拟合没有收敛",
                "基尼系数",
                "0.400",
                "2026年3月31日",
            ],
        );
        for chart in CHARTS {
            has(&html, &[&format!(r#"href="/analysis/{chart}.csv""#)]);
        }
        // The migration of first-scored customers has no earlier segment to filter by.
        lacks(&html, &["prev_segment=&amp;", "NaN", "inf"]);
    }

    #[test]
    fn failed_fits_and_missing_numbers_read_as_words_in_english() {
        let v = viewer(Role::Analyst, Lang::En);
        let html = render(&v, Some(&dash(false, true)), false);
        has(
            &html,
            &[
                "no customer has bought twice yet",
                "Gini coefficient",
                "Champions",
                "Decline",
                "Tier A",
                "First scored",
            ],
        );
        lacks(&html, &["NaN", "inf", "重要"]);
    }

    #[test]
    fn roles_that_see_part_of_the_customers_see_no_organisation_wide_figures() {
        let v = viewer(Role::SalesRep, Lang::ZhCn);
        let html = render(&v, Some(&dash(true, false)), false);
        has(
            &html,
            &["只包括您有权查看的客户", r#"href="/customers?tier=A""#],
        );
        lacks(
            &html,
            &[
                "chart-months",
                "chart-cohorts",
                "基尼系数",
                "fit-bgnbd",
                "/analysis/run",
            ],
        );
    }

    #[test]
    fn chart_data_exports_as_csv_with_a_bom_and_headings_in_the_viewers_language() {
        let d = dash(true, true);
        let zh = viewer(Role::Admin, Lang::ZhCn);
        for chart in CHARTS {
            let t = table(&zh, chart, &d).expect(chart);
            assert!(!t.head.is_empty(), "{chart}");
            let bytes = csv_bytes(&t);
            assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "{chart}");
            let s = String::from_utf8(bytes).expect("utf-8");
            assert!(!s.contains("NaN"), "{chart}: {s}");
        }
        let s =
            String::from_utf8(csv_bytes(&table(&zh, "tiers", &d).expect("tiers"))).expect("utf-8");
        assert!(
            s.contains("价值分层,客户数,客户占比,收入,收入占比,客户终身价值\r\n"),
            "{s}"
        );
        assert!(s.contains("A 类,1,33.3%,100.00,33.3%,50.00\r\n"), "{s}");
        let en = viewer(Role::Admin, Lang::En);
        let s = String::from_utf8(csv_bytes(&table(&en, "cohorts", &d).expect("cohorts")))
            .expect("utf-8");
        assert!(
            s.contains("Month,Cohort size,0,1\r\n2026-02,2,100.0%,50.0%\r\n2026-03,0,0.0%,\r\n"),
            "{s}"
        );
        assert!(table(&en, "nothing", &d).is_none());
        // Quoted where needed: a segment name with a comma stays one cell.
        let t = crate::pages::analysis::Table {
            head: vec!["a,b".into()],
            rows: vec![],
        };
        assert!(String::from_utf8(csv_bytes(&t))
            .expect("utf-8")
            .contains("\"a,b\""));
    }

    fn score(alive: Option<f64>) -> StoredScore {
        StoredScore {
            score: CustomerScore {
                customer: CustomerId(7),
                purchases: 3,
                first_purchase: NaiveDate::from_ymd_opt(2025, 1, 5).expect("date"),
                last_purchase: NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"),
                revenue: 30_000,
                revenue_12m: 10_000,
                historical_value: 9_000,
                current_value: 3_000,
                r: 2,
                f: 4,
                m: 3,
                segment: Some("at_risk".into()),
                tier: "B".into(),
                alive,
                expected_90: alive.map(|_| 0.1234),
                expected_180: None,
                expected_365: Some(f64::NAN),
                expected_spend: None,
                clv: None,
                stage: "decline".into(),
                risk: "high".into(),
                reasons: json!([
                    {"code": "overdue", "days": 200, "usual_gap": 60},
                    {"code": "fading", "alive": 0.123},
                    {"code": "spending_down", "last": 10000, "before": 50000},
                    {"code": "silent", "days": 400},
                    {"code": "unknown"}
                ]),
            },
            run: ScoreRunId(2),
            computed_at: Utc::now(),
            prev_segment: Some("loyal".into()),
            prev_tier: None,
            prev_stage: None,
        }
    }

    #[test]
    fn the_customer_value_panel_says_why_and_never_nan() {
        let history = vec![ScoreChange {
            run: ScoreRunId(2),
            computed_at: Utc::now(),
            segment: Some("at_risk".into()),
            tier: "B".into(),
            stage: "decline".into(),
            risk: "high".into(),
            clv: None,
        }];
        let zh = value_panel(
            &viewer(Role::SalesRep, Lang::ZhCn),
            &SegmentNames::default(),
            Some(&score(Some(0.123))),
            &history,
        )
        .into_string();
        has(
            &zh,
            &[
                "客户价值",
                "B 类",
                "R2 · F4 · M3 · 有流失风险",
                "退化期",
                "超过平常间隔未购买：已 200 天，平常 60 天一次",
                "仍活跃的概率只有 12%",
                "近 12 个月消费 ¥100.00，不到前 12 个月 ¥500.00 的一半",
                "只买过一次，已 400 天未再购买",
                "12.3%",
                "0.12 / — / —",
                "历史价值",
                "¥90.00",
                "3 次，首次 2025年1月5日，最近 2025年6月1日",
                "有流失风险 → B 类 → 退化期 → 流失风险 高",
            ],
        );
        lacks(&zh, &["NaN", "unknown"]);
        let en = value_panel(
            &viewer(Role::Agent, Lang::En),
            &SegmentNames::default(),
            Some(&score(None)),
            &[],
        )
        .into_string();
        has(
            &en,
            &["Customer value", "Tier B", "At risk", "Overdue: 200 days"],
        );
        lacks(&en, &["NaN", "Movement"]);
        let none = value_panel(
            &viewer(Role::Agent, Lang::En),
            &SegmentNames::default(),
            None,
            &[],
        )
        .into_string();
        has(&none, &["Not scored yet"]);
    }

    #[test]
    fn short_amounts_read_as_each_language_counts() {
        let cny = guanxi_core::Currency::CNY;
        assert_eq!(money_short(Lang::ZhCn, 1_000, cny), "¥10");
        assert_eq!(money_short(Lang::ZhCn, 10_000_000, cny), "¥10万");
        assert_eq!(money_short(Lang::ZhCn, 12_345_678_900, cny), "¥1.2亿");
        assert_eq!(money_short(Lang::En, 10_000_000, cny), "¥100k");
        assert_eq!(money_short(Lang::En, 150_000_000, cny), "¥1.5M");
    }

    #[tokio::test]
    async fn the_analytics_link_follows_the_role() {
        let page = |role: Role| {
            let v = viewer(role, Lang::ZhCn);
            crate::layout::page(&v.shell(), "t", maud::html! {})
        };
        assert!(super::data_in_out::body(page(Role::SalesRep))
            .await
            .contains(r#"<a href="/analysis">客户分析</a>"#));
        assert!(!super::data_in_out::body(page(Role::Agent))
            .await
            .contains(r#"href="/analysis""#));
        for (m, r, action) in [
            ("GET", "/analysis", Action::ViewAnalytics),
            ("GET", "/analysis/{file}", Action::ViewAnalytics),
            ("POST", "/analysis/run", Action::RunAnalysis),
        ] {
            let m = Method::from_bytes(m.as_bytes()).expect("method");
            assert_eq!(action_of(&m, r), Some(action));
        }
    }
}

// ---------------------------------------------------------------- warehouse SQL

mod warehouse_sql {
    use super::data_in_out::{body, has, lacks, viewer};
    use super::*;
    use crate::pages::warehouse::{
        csv_download, run_sql, sql_content, status_of, Ran, EXAMPLES, SQL_MAX,
    };
    use guanxi_api::warehouse::{Answer, Refusal, Warehouse};
    use guanxi_core::{OrgId, Reason, Role};
    use serde_json::{json, Value};
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Fut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

    /// A warehouse that answers by the SQL's first word, and counts the queries it gets.
    #[derive(Default)]
    struct Fake {
        queries: AtomicUsize,
    }

    fn answer(sql: &str) -> Result<Answer, Refusal> {
        let word = sql.split_whitespace().next().unwrap_or("").to_uppercase();
        match word.as_str() {
            "DELETE" => Err(Refusal::Sql(Reason::ReadOnlyQuery)),
            "BOOM" => Err(Refusal::Broken("disk on fire at /srv/warehouse".into())),
            "NOTHING" => Ok(Answer {
                json: json!({"columns": [{"name": "n", "data_type": "Int64"}], "rows": [], "truncated": false}),
                csv: "n\r\n".into(),
            }),
            _ => Ok(Answer {
                json: json!({
                    "columns": [
                        {"name": "<b>name</b>", "data_type": "Utf8"},
                        {"name": "orders", "data_type": "Int64"},
                        {"name": "revenue_yuan", "data_type": "Float64"},
                        {"name": "note", "data_type": "Utf8"},
                        {"name": "amount", "data_type": "Decimal128(18, 2)"},
                    ],
                    "rows": [
                        ["<script>alert(1)</script>", 42, 1234.5, null, "12.30"],
                        ["王 & 李", 7, 0.25, "ok", "-1.00"],
                    ],
                    "truncated": word == "MANY",
                }),
                csv: "name,orders\r\n王,42\r\n".into(),
            }),
        }
    }

    impl Warehouse for Fake {
        fn query<'a, 'b, 'c>(
            &'a self,
            _org: OrgId,
            sql: &'b str,
        ) -> Fut<'c, Result<Answer, Refusal>>
        where
            'a: 'c,
            'b: 'c,
            Self: 'c,
        {
            self.queries.fetch_add(1, Ordering::Relaxed);
            let a = answer(sql);
            Box::pin(async move { a })
        }

        fn status<'a, 'c>(&'a self, _org: OrgId) -> Fut<'c, Result<Value, Refusal>>
        where
            'a: 'c,
            Self: 'c,
        {
            Box::pin(async move {
                Ok(json!({
                    "loaded_until": "2026-05-01T04:00:00.123456Z",
                    "loads": 3,
                    "loading": false,
                    "tables": [
                        {"table": "fact_orders", "parts": 2, "rows": 1234},
                        {"table": "fact_orders", "parts": 1, "rows": 10},
                        {"table": "dim_date", "parts": 1, "rows": 3653},
                    ],
                }))
            })
        }
    }

    /// The page after running `sql` as `role` in `lang` on `wh`.
    async fn after(wh: Option<&Fake>, role: Role, lang: Lang, sql: &str) -> (Ran, String) {
        let v = viewer(role, lang);
        let wh = wh.map(|w| w as &dyn Warehouse);
        let ran = run_sql(wh, OrgId(1), lang, sql).await;
        let status = status_of(wh, OrgId(1)).await;
        let html =
            sql_content(&v, wh.is_some(), status.as_ref(), sql, None, Some(&ran)).into_string();
        (ran, html)
    }

    #[tokio::test]
    async fn the_result_is_an_escaped_table_with_numbers_on_the_right() {
        let fake = Fake::default();
        let sql = "SELECT '<i>' AS x FROM fact_orders";
        let (ran, html) = after(Some(&fake), Role::Analyst, Lang::ZhCn, sql).await;
        assert!(matches!(ran, Ran::Rows(..)), "{ran:?}");
        has(
            &html,
            &[
                "&lt;script&gt;alert(1)&lt;/script&gt;",
                "&lt;b&gt;name&lt;/b&gt;",
                "王 &amp; 李",
                r#"<td class="money">42</td>"#,
                r#"<td class="money">1234.5</td>"#,
                r#"<td class="money">12.30</td>"#,
                r#"<td class="money">-1.00</td>"#,
                r#"<th class="money" scope="col" title="Int64">orders</th>"#,
                r#"<th scope="col" title="Utf8">note</th>"#,
                r#"<span class="muted">NULL</span>"#,
                "共 2 行",
                // The SQL stays in the text area, escaped.
                "SELECT '&lt;i&gt;' AS x FROM fact_orders</textarea>",
                r#"name="_csrf" value="tok+en/1""#,
                r#"action="/analysis/sql""#,
                r#"name="format" value="csv""#,
                "导出 CSV",
                // What is loaded: the organisation's time, rows summed per table.
                "2026年5月1日 12:00",
                "<code>fact_orders</code> 1,244",
                "<code>dim_date</code> 3,653",
            ],
        );
        lacks(
            &html,
            &[
                "<script>alert",
                "<b>name",
                "<i>",
                "sql-error",
                "sql-truncated",
            ],
        );
        let (_, en) = after(Some(&fake), Role::Admin, Lang::En, "MANY rows").await;
        has(
            &en,
            &[
                "Rows: 2",
                "sql-truncated",
                "only the first 2 rows are shown",
                "Loaded up to",
            ],
        );
        let (_, none) = after(Some(&fake), Role::Admin, Lang::En, "NOTHING").await;
        has(&none, &["The query returned no rows."]);
        lacks(&none, &["<table"]);
    }

    #[tokio::test]
    async fn a_refused_query_shows_the_reason_by_the_text_in_each_language() {
        let fake = Fake::default();
        let (ran, zh) = after(
            Some(&fake),
            Role::Analyst,
            Lang::ZhCn,
            "DELETE FROM fact_orders",
        )
        .await;
        assert!(matches!(ran, Ran::Refused(_)), "{ran:?}");
        has(
            &zh,
            &[
                r#"id="sql-error""#,
                "只能是一条只读查询（SELECT、WITH 或 VALUES）",
                r#"aria-invalid="true""#,
                ">DELETE FROM fact_orders</textarea>",
            ],
        );
        lacks(&zh, &["sql-result", "read-only"]);
        let (_, en) = after(
            Some(&fake),
            Role::Analyst,
            Lang::En,
            "DELETE FROM fact_orders",
        )
        .await;
        has(&en, &["must be exactly one read-only query"]);
        lacks(&en, &["只读"]);
    }

    #[tokio::test]
    async fn empty_and_too_long_sql_is_refused_before_the_warehouse_sees_it() {
        let fake = Fake::default();
        let long = format!("SELECT {}", "1".repeat(SQL_MAX));
        let (ran, zh) = after(Some(&fake), Role::Analyst, Lang::ZhCn, &long).await;
        assert!(matches!(ran, Ran::Refused(_)), "{ran:?}");
        has(&zh, &["SQL 太长：共 20,007 个字符，最多只能 20,000 个。"]);
        let (_, en) = after(Some(&fake), Role::Analyst, Lang::En, "  \n ").await;
        has(&en, &["Type a query first."]);
        assert_eq!(fake.queries.load(Ordering::Relaxed), 0);
        // Exactly the limit is fine (counted in characters, not bytes).
        let at = format!("SELECT '{}'", "字".repeat(SQL_MAX - 9));
        let (ran, _) = after(Some(&fake), Role::Analyst, Lang::En, &at).await;
        assert!(matches!(ran, Ran::Rows(..)), "{ran:?}");
    }

    #[tokio::test]
    async fn no_warehouse_or_a_broken_one_says_so_plainly() {
        let (ran, zh) = after(None, Role::Admin, Lang::ZhCn, "SELECT 1").await;
        assert!(matches!(ran, Ran::Unavailable), "{ran:?}");
        has(
            &zh,
            &[
                "本服务器没有启用数据仓库",
                r#"id="sql-error""#,
                "数据仓库暂时无法查询",
                ">SELECT 1</textarea>",
            ],
        );
        let fake = Fake::default();
        let (ran, en) = after(Some(&fake), Role::Admin, Lang::En, "BOOM").await;
        assert!(matches!(ran, Ran::Unavailable), "{ran:?}");
        has(&en, &["The warehouse cannot answer right now."]);
        lacks(&en, &["disk on fire", "/srv/warehouse"]);
        // The plain page (no run yet) without a warehouse: the form, and the reason.
        let v = viewer(Role::Analyst, Lang::En);
        let page =
            sql_content(&v, false, None, EXAMPLES[0].sql, Some("revenue"), None).into_string();
        has(
            &page,
            &["This server has no data warehouse", "summary_segment_month"],
        );
        lacks(&page, &["sql-error"]);
    }

    #[test]
    fn the_examples_fill_the_text_area_from_a_link() {
        let v = viewer(Role::Analyst, Lang::ZhCn);
        let html = sql_content(
            &v,
            true,
            Some(&json!({"loaded_until": null, "loads": 0, "tables": []})),
            EXAMPLES[1].sql,
            Some(EXAMPLES[1].key),
            None,
        )
        .into_string();
        for e in &EXAMPLES {
            has(
                &html,
                &[
                    &format!(r#"href="/analysis/sql?example={}""#, e.key),
                    e.name.t(Lang::ZhCn),
                ],
            );
        }
        has(
            &html,
            &[
                r#"href="/analysis/sql?example=class" aria-current="true""#,
                "dim_customer c ON o.customer_key = c.customer_key",
                "数据仓库还没有加载过数据",
                "运行",
            ],
        );
        assert_eq!(
            EXAMPLES
                .iter()
                .map(|e| e.key)
                .collect::<std::collections::HashSet<_>>()
                .len(),
            EXAMPLES.len()
        );
    }

    #[tokio::test]
    async fn the_csv_download_has_a_bom_and_a_file_name() {
        let res = csv_download("name,orders\r\n王,42\r\n");
        assert_eq!(
            res.headers()
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok()),
            Some("attachment; filename=\"query.csv\"")
        );
        assert_eq!(
            res.headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(body(res).await, "\u{feff}name,orders\r\n王,42\r\n");
    }

    #[tokio::test]
    async fn only_administrators_and_analysts_may_query() {
        use guanxi_core::access::grant;
        for m in [Method::GET, Method::POST] {
            let action = action_of(&m, "/analysis/sql");
            assert_eq!(action, Some(Action::QueryWarehouse), "{m}");
        }
        for role in Role::ALL {
            let may = grant(*role, Action::QueryWarehouse).is_some();
            assert_eq!(may, matches!(role, Role::Admin | Role::Analyst), "{role:?}");
        }
        // Everyone else (a marketer, a service agent) gets the 403 page.
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN"));
        let res = WebGate.refuse(ApiError::Forbidden, "/analysis/sql", &h);
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(body(res).await.contains("您的角色没有访问此页面的权限"));
        // The analysis page links to it only for those who may.
        for (role, shown) in [
            (Role::Admin, true),
            (Role::Analyst, true),
            (Role::Marketer, false),
            (Role::SalesRep, false),
        ] {
            let v = viewer(role, Lang::ZhCn);
            let html =
                crate::pages::analysis::dashboard_content(&v, None, false, None).into_string();
            assert_eq!(html.contains(r#"href="/analysis/sql""#), shown, "{role:?}");
        }
    }
}

// ---------------------------------------------------------------- the segment map

mod segment_map {
    use super::data_in_out::{body, has, lacks, viewer};
    use super::*;
    use crate::pages::analysis::{dashboard_content, value_panel, Dash, SegmentNames};
    use crate::pages::segments::{
        check, parse_form, rows_of, segments_content, shown_of, shown_of_rows, Row, EXTRA_ROWS,
    };
    use chrono::{NaiveDate, Utc};
    use guanxi_api::analysis::{default_segments, SegmentMap};
    use guanxi_core::access::grant;
    use guanxi_core::{OrgId, Role, ScoreRunId};
    use guanxi_store::{ScoreChange, ScoreCount, ScoreRun, SegmentDef};
    use serde_json::json;

    fn seg(code: &str, zh: &str, en: &str, r: (u8, u8), f: (u8, u8)) -> SegmentDef {
        SegmentDef {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            r,
            f,
        }
    }

    /// An organisation's own map: VIPs, and everyone else.
    fn own() -> Vec<SegmentDef> {
        vec![
            seg("vip", "贵宾", "VIPs", (4, 5), (4, 5)),
            seg("others", "其他客户", "Everyone else", (1, 5), (1, 5)),
        ]
    }

    fn count(key: &str, key2: Option<&str>, customers: u64) -> ScoreCount {
        ScoreCount {
            key: key.into(),
            key2: key2.map(str::to_owned),
            customers,
            revenue: 0,
            clv: 0,
        }
    }

    fn dash(segs: Vec<SegmentDef>) -> Dash {
        Dash {
            run: ScoreRun {
                id: ScoreRunId(3),
                org: OrgId(1),
                created_by: None,
                as_of: NaiveDate::from_ymd_opt(2026, 3, 31).expect("date"),
                started_at: Utc::now(),
                finished_at: Utc::now(),
                customers: 5,
                purchases: 9,
                report: json!({}),
            },
            org_wide: true,
            tiers: vec![],
            // `champions` is from before the map changed: it reads as its code.
            segments: vec![
                count("others", None, 2),
                count("vip", None, 1),
                count("champions", None, 2),
            ],
            stages: vec![],
            risks: vec![],
            rf: vec![count("5", Some("4"), 1)],
            migration: vec![
                count("champions", Some("vip"), 1),
                count("", Some("others"), 2),
            ],
            clv: vec![],
            segs: SegmentNames { segments: segs },
        }
    }

    fn map(segments: Vec<SegmentDef>, custom: bool) -> SegmentMap {
        SegmentMap {
            segments,
            custom,
            updated_at: custom.then(Utc::now),
        }
    }

    fn page(role: Role, lang: Lang, m: &SegmentMap, notice: Option<Msg>) -> String {
        let v = viewer(role, lang);
        segments_content(
            &v,
            m,
            &rows_of(&m.segments),
            &shown_of(lang, &m.segments),
            None,
            notice,
        )
        .into_string()
    }

    /// The form's fields for `rows`, as a browser posts them.
    fn posted(rows: &[Row]) -> Vec<(String, String)> {
        let mut out = vec![("_csrf".to_owned(), "tok".to_owned())];
        for (i, r) in rows.iter().enumerate() {
            for (k, v) in [
                ("order", &r.order),
                ("code", &r.code),
                ("name_zh", &r.name_zh),
                ("name_en", &r.name_en),
                ("r_from", &r.r[0]),
                ("r_to", &r.r[1]),
                ("f_from", &r.f[0]),
                ("f_to", &r.f[1]),
            ] {
                out.push((format!("{k}_{i}"), v.clone()));
            }
            if r.remove {
                out.push((format!("remove_{i}"), "1".into()));
            }
        }
        out
    }

    #[test]
    fn custom_names_appear_on_the_dashboards_and_the_customer_page() {
        let zh = dashboard_content(
            &viewer(Role::Analyst, Lang::ZhCn),
            Some(&dash(own())),
            false,
            None,
        )
        .into_string();
        has(
            &zh,
            &[
                // The segment list, in the map's order, then a code the map no longer holds.
                ">贵宾</th>",
                ">其他客户</th>",
                ">champions</th>",
                r#"href="/customers?segment=vip""#,
                // The migration table.
                r#"href="/customers?prev_segment=champions&amp;segment=vip""#,
                // The RFM grid's cells and legend.
                "R5 · F4 · 贵宾 · 1 位客户",
                "贵宾: R 4–5 · F 4–5",
                "其他客户: R 1–5 · F 1–5",
                r#"id="segment-map" href="/analysis/segments""#,
                "分群规则",
            ],
        );
        lacks(&zh, &["重要价值客户", ">vip<", "VIPs"]);
        let first = zh.find(">贵宾</th>").expect("vip");
        assert!(
            first < zh.find(">其他客户</th>").expect("others"),
            "map order"
        );
        let en = dashboard_content(
            &viewer(Role::Admin, Lang::En),
            Some(&dash(own())),
            false,
            None,
        )
        .into_string();
        has(
            &en,
            &[">VIPs</th>", ">Everyone else</th>", "VIPs: R 4–5 · F 4–5"],
        );
        lacks(&en, &["贵宾", "Champions"]);
        // The default map keeps today's names in both languages.
        let d = dash(default_segments());
        let zh = dashboard_content(&viewer(Role::Analyst, Lang::ZhCn), Some(&d), false, None)
            .into_string();
        has(
            &zh,
            &[
                ">重要价值客户</th>",
                "有潜力的新客户: R 4–5 · F 1–2",
                "新客户: R 5 · F 1",
            ],
        );
        let en = dashboard_content(&viewer(Role::Analyst, Lang::En), Some(&d), false, None)
            .into_string();
        has(&en, &[">Champions</th>", "Can't lose them: R 1 · F 4–5"]);
        // The customer's value panel: the current segment by the map, history as it was kept.
        let mut s = guanxi_store::StoredScore {
            score: guanxi_store::CustomerScore {
                customer: guanxi_core::CustomerId(7),
                purchases: 3,
                first_purchase: NaiveDate::from_ymd_opt(2025, 1, 5).expect("date"),
                last_purchase: NaiveDate::from_ymd_opt(2025, 6, 1).expect("date"),
                revenue: 30_000,
                revenue_12m: 10_000,
                historical_value: 9_000,
                current_value: 3_000,
                r: 5,
                f: 4,
                m: 3,
                segment: Some("vip".into()),
                tier: "A".into(),
                alive: Some(0.9),
                expected_90: None,
                expected_180: None,
                expected_365: None,
                expected_spend: None,
                clv: None,
                stage: "stability".into(),
                risk: "low".into(),
                reasons: json!([]),
            },
            run: ScoreRunId(3),
            computed_at: Utc::now(),
            prev_segment: Some("champions".into()),
            prev_tier: None,
            prev_stage: None,
        };
        let history = vec![
            ScoreChange {
                run: ScoreRunId(2),
                computed_at: Utc::now(),
                segment: Some("champions".into()),
                tier: "A".into(),
                stage: "stability".into(),
                risk: "low".into(),
                clv: None,
            },
            ScoreChange {
                run: ScoreRunId(3),
                computed_at: Utc::now(),
                segment: Some("vip".into()),
                tier: "A".into(),
                stage: "stability".into(),
                risk: "low".into(),
                clv: None,
            },
        ];
        let segs = SegmentNames { segments: own() };
        let v = viewer(Role::SalesRep, Lang::ZhCn);
        let html = value_panel(&v, &segs, Some(&s), &history).into_string();
        has(
            &html,
            &["R5 · F4 · M3 · 贵宾", "贵宾 → A 类", "champions → A 类"],
        );
        s.score.segment = None;
        let html = value_panel(&v, &segs, Some(&s), &[]).into_string();
        lacks(&html, &["贵宾", "vip"]);
    }

    #[test]
    fn the_form_holds_the_map_and_gives_it_back_unchanged() {
        let default = default_segments();
        let rows = rows_of(&default);
        assert_eq!(rows.len(), default.len() + EXTRA_ROWS);
        assert_eq!(
            check(Lang::ZhCn, &parse_form(&posted(&rows))),
            Ok(default.clone())
        );
        let html = page(Role::Admin, Lang::ZhCn, &map(default.clone(), false), None);
        has(
            &html,
            &[
                r#"action="/analysis/segments""#,
                r#"name="_csrf" value="tok+en/1""#,
                r#"id="seg-0-code" name="code_0" type="text" value="champions""#,
                r#"name="name_zh_0" type="text" value="重要价值客户""#,
                r#"name="name_en_8" type="text" value="Lost""#,
                r#"name="code_9" type="text" value="""#,
                r#"name="remove_0""#,
                r#"name="r_from_0""#,
                r#"<option value="4" selected>4</option>"#,
                "目前使用默认的分群规则",
                // The preview: R5·F1 is 新客户 (first match), R1·F5 不能失去的客户.
                r#"data-r="5" data-f="1" data-segment="2""#,
                r#"data-r="1" data-f="5" data-segment="5""#,
                "预览：每个格子归入哪个分群",
                r#"href="/analysis""#,
            ],
        );
        // The default map offers no "restore the default".
        lacks(&html, &["segments-reset", "segments-error", "uncovered"]);
        // A new row placed first by its order number is matched first.
        let mut rows = rows_of(&default);
        rows[9] = Row {
            order: "1".into(),
            code: "vip".into(),
            name_zh: "贵宾".into(),
            name_en: "VIPs".into(),
            r: ["5".into(), "5".into()],
            f: ["5".into(), "5".into()],
            remove: false,
        };
        rows[0].order = "2".into();
        let kept = check(Lang::En, &parse_form(&posted(&rows))).expect("a good map");
        assert_eq!(kept[0].code, "vip");
        assert_eq!(kept[1].code, "champions");
        assert_eq!(kept.len(), default.len() + 1);
        // Junk and out-of-range rows in a posted form are not rows.
        let junk = parse_form(&[
            ("code_99999".into(), "x".into()),
            ("nothing".into(), "y".into()),
            ("code_x".into(), "z".into()),
        ]);
        assert!(junk.is_empty(), "{junk:?}");
    }

    #[test]
    fn the_editor_refuses_an_uncovered_cell_and_says_why_keeping_what_was_typed() {
        let default = default_segments();
        let mut rows = rows_of(&default);
        // Without 已流失 (R 1, F 1–2), R=1·F=2 and R=1·F=1 are no one's.
        rows[8].remove = true;
        rows[0].name_zh = "头等客户".into();
        let rows = parse_form(&posted(&rows));
        let problems = check(Lang::ZhCn, &rows).expect_err("refused");
        assert_eq!(
            problems.top,
            ["分群规则有误：R=1、F=2 的客户不属于任何分群，请让每个格子都有归属"]
        );
        assert!(problems.fields.is_empty(), "{problems:?}");
        let v = viewer(Role::Analyst, Lang::ZhCn);
        let m = map(default.clone(), false);
        let html = segments_content(
            &v,
            &m,
            &rows,
            &shown_of_rows(Lang::ZhCn, &rows),
            Some(&problems),
            None,
        )
        .into_string();
        has(
            &html,
            &[
                r#"id="segments-error""#,
                "请修改标出的内容后再保存",
                "R=1、F=2 的客户不属于任何分群",
                // What was typed stays: the new name, the box ticked.
                r#"value="头等客户""#,
                r#"name="remove_8" type="checkbox" value="1" checked"#,
                // The preview of what was typed shows the cells left out.
                "预览（按您刚才填写的内容）",
                r#"class="uncovered" data-r="1" data-f="2""#,
                r#"class="uncovered" data-r="1" data-f="1""#,
                "无归属",
            ],
        );
        let en = check(Lang::En, &rows).expect_err("refused");
        assert_eq!(
            en.top,
            ["This map leaves customers with R=1 and F=2 in no segment"]
        );

        // Reasons on their fields, on the row they came from (rows are matched in order).
        let mut rows = rows_of(&default);
        rows[2].r = ["5".into(), "1".into()];
        rows[1].code = "Loyal!".into();
        rows[3].code = "champions".into();
        rows[4].name_en = String::new();
        rows[9] = Row {
            order: "1".into(),
            code: "vip".into(),
            name_zh: "贵宾".into(),
            name_en: "x".repeat(41),
            r: ["5".into(), "5".into()],
            f: ["4".into(), "3".into()],
            remove: false,
        };
        let rows = parse_form(&posted(&rows));
        let p = check(Lang::ZhCn, &rows).expect_err("refused");
        for (row, field, msg) in [
            (2, "r", "起点不能大于终点"),
            (1, "code", "只能用小写字母、数字和下划线"),
            (3, "code", "与上面的分群代码重复"),
            (4, "name_en", "必填"),
            (9, "name_en", "不能超过 40 个字符"),
            (9, "f", "起点不能大于终点"),
        ] {
            assert!(
                p.fields
                    .iter()
                    .any(|(r, f, m)| *r == row && *f == field && m == msg),
                "{row} {field}: {p:?}"
            );
        }
        assert_eq!(p.fields.len(), 6, "{p:?}");
        assert!(
            p.top.is_empty(),
            "cells are checked only on a map without other errors"
        );
        let html = segments_content(
            &v,
            &m,
            &rows,
            &shown_of_rows(Lang::ZhCn, &rows),
            Some(&p),
            None,
        )
        .into_string();
        has(
            &html,
            &[
                r#"<div class="field invalid" id="seg-2-r">"#,
                r#"id="seg-2-r-from" name="r_from_2" aria-label="R 分（最近购买） 起 3" aria-invalid="true""#,
                r#"<span class="error" id="seg-2-r-error" role="alert">起点不能大于终点</span>"#,
                r#"id="seg-1-code" name="code_1" type="text" value="Loyal!""#,
                r#"aria-describedby="seg-1-code-error""#,
                r#"id="seg-3-code-error""#,
            ],
        );
        lacks(&html, &["segments-problems"]);
        // No segments at all, or too many.
        let none: Vec<Row> = rows_of(&default)
            .into_iter()
            .map(|r| Row { remove: true, ..r })
            .collect();
        assert_eq!(
            check(Lang::ZhCn, &none).expect_err("empty").top,
            ["至少要保留一个分群。"]
        );
        let many: Vec<Row> = (0..26)
            .map(|i| Row {
                order: String::new(),
                code: format!("s{i}"),
                name_zh: format!("分群{i}"),
                name_en: format!("Segment {i}"),
                r: ["1".into(), "5".into()],
                f: ["1".into(), "5".into()],
                remove: false,
            })
            .collect();
        assert_eq!(
            check(Lang::En, &many).expect_err("too many").top,
            ["At most 25 segments are allowed."]
        );
    }

    #[tokio::test]
    async fn a_marketer_sees_the_map_read_only_and_may_not_change_it() {
        let m = map(own(), true);
        let html = page(Role::Marketer, Lang::ZhCn, &m, None);
        has(
            &html,
            &[
                "<code>vip</code>",
                "贵宾",
                "Everyone else",
                "R 4–5",
                "只有管理员和分析师可以修改分群规则",
                "目前使用本组织自己的分群规则",
                r#"data-r="5" data-f="5" data-segment="0""#,
                r#"data-r="1" data-f="1" data-segment="1""#,
            ],
        );
        lacks(
            &html,
            &[
                "<form",
                "<input",
                "<select",
                "segments-reset",
                "name=\"code_0\"",
            ],
        );
        // The page is theirs to see, the changes are not: the gate answers 403.
        let get = action_of(&Method::GET, "/analysis/segments").expect("an action");
        assert_eq!(get, Action::ViewAnalytics);
        for r in ["/analysis/segments", "/analysis/segments/reset"] {
            assert_eq!(
                action_of(&Method::POST, r),
                Some(Action::RunAnalysis),
                "{r}"
            );
        }
        for role in Role::ALL {
            assert_eq!(
                grant(*role, Action::RunAnalysis).is_some(),
                matches!(role, Role::Admin | Role::Analyst),
                "{role:?}"
            );
        }
        assert!(grant(Role::Marketer, Action::ViewAnalytics).is_some());
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_static("zh-CN"));
        let res = WebGate.refuse(ApiError::Forbidden, "/analysis/segments", &h);
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(body(res).await.contains("您的角色没有访问此页面的权限"));
        // The dashboard leads every viewer of the analytics to the map.
        let dash =
            dashboard_content(&viewer(Role::Marketer, Lang::En), None, false, None).into_string();
        has(&dash, &[r#"href="/analysis/segments""#, "Segment map"]);
    }

    #[test]
    fn an_own_map_can_go_back_to_the_default() {
        // An organisation's own map offers the button, asking first, with the token.
        let own_map = map(own(), true);
        let html = page(Role::Admin, Lang::En, &own_map, Some(Msg::SegmentsSaved));
        has(
            &html,
            &[
                r#"action="/analysis/segments/reset""#,
                r#"hx-post="/analysis/segments/reset""#,
                "hx-confirm=\"Go back to the default map?",
                "Restore the default",
                r#"id="segments-notice""#,
                "The next run will sort customers by it.",
                "Your organisation's own map is in use",
            ],
        );
        // After the reset: the default map, its names, and the notice.
        let html = page(
            Role::Admin,
            Lang::ZhCn,
            &map(default_segments(), false),
            Some(Msg::SegmentsReset),
        );
        has(
            &html,
            &[
                "已恢复默认的分群规则，下次计算客户价值时生效。",
                r#"value="重要价值客户""#,
                "目前使用默认的分群规则",
            ],
        );
        lacks(&html, &["贵宾", "segments-reset"]);
    }
}
