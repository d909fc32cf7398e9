//! Imports over HTTP on both databases: a GBK file with Chinese headers uploaded, checked
//! (nothing written), imported, exported back; bad files refused with the field named; the
//! duplicate queue; erasure; roles respected.

use crate::support::{error_fields, TestApp};
use guanxi_core::Role;
use reqwest::Method;
use serde_json::{json, Value};

crate::on_both!(
    a_messy_spreadsheet_export_gets_a_reason_per_row,
    a_gbk_file_is_checked_imported_and_exported,
    bad_files_are_refused_with_a_reason,
    duplicates_are_reviewed_and_people_erased,
    orders_leads_and_call_logs_come_in_from_files,
    a_file_that_breaks_part_way_imports_nothing,
    an_address_book_comes_in_as_vcards,
    a_file_can_be_read_with_the_encoding_and_delimiter_chosen,
    each_policy_does_what_it_says,
    custom_fields_come_in_from_a_file_and_go_back_out,
    an_upload_kept_past_its_retention_is_deleted_and_its_job_says_so
);

/// The organisation's custom fields are columns of a file like the others: suggested by their
/// labels, checked by their type (a choice that is not one is refused with the field named),
/// filled under `fill` only where empty, and an export of them goes back in as itself.
async fn custom_fields_come_in_from_a_file_and_go_back_out(mut app: TestApp) {
    app.use_new_org("自定义字段").await;
    for def in [
        json!({"key": "industry", "label_zh": "行业", "label_en": "Industry",
               "field_type": "choice", "choices": ["制造业", "金融"]}),
        json!({"key": "employees", "label_zh": "员工人数", "label_en": "Employees",
               "field_type": "number"}),
        json!({"key": "founded", "label_zh": "成立日期", "label_en": "Founded",
               "field_type": "date"}),
    ] {
        let r = app.post("/api/v1/field-definitions", &def).await;
        assert_eq!(r.status, 201, "{:?}", r.body);
    }
    let file = "姓名,手机,行业,员工人数,成立日期\r\n\
                张伟,13800138000,金融,\"1,280\",2020/3/1\r\n\
                李娜,13900139000,农业,10,\r\n";
    let (status, job) = upload(&app, "客户.csv", file.as_bytes(), &[]).await;
    assert_eq!(status, 202, "{job:?}");
    let id = job["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    let keys: Vec<Value> = (0..5)
        .map(|i| checked["mapping"]["custom"][i]["key"].clone())
        .collect();
    assert_eq!(
        keys,
        [
            json!(null),
            json!(null),
            json!("industry"),
            json!("employees"),
            json!("founded")
        ],
        "suggested by their labels: {checked:?}"
    );
    assert_eq!(
        (
            checked["counts"]["created"].as_u64(),
            checked["counts"]["rejected"].as_u64()
        ),
        (Some(1), Some(1)),
        "{checked:?}"
    );
    let rows = app
        .get(&format!("/api/v1/imports/{id}/rows?outcome=rejected"))
        .await;
    let zh = rows.body[0]["detail"]["reasons"][0]["zh"]
        .as_str()
        .unwrap_or_default();
    assert!(
        zh.starts_with("行业：") && zh.contains("制造业"),
        "{:?}",
        rows.body
    );
    // A custom field the organisation does not have is refused, by column.
    let bad = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import", "columns": ["name", "mobile", "custom.size", null, null]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    assert_eq!(error_fields(&bad.body), ["columns[2]"]);
    // Import with the founding date left out.
    let started = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import",
                    "columns": ["name", "mobile", "custom.industry", "custom.employees", null]}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let done = settled(&app, id).await;
    assert_eq!(done["counts"]["created"], 1, "{done:?}");
    let found = app.get("/api/v1/customers/lookup?phone=13800138000").await;
    let zw = app
        .get(&format!(
            "/api/v1/customers/{}",
            found.body["matches"][0]["id"]
        ))
        .await;
    assert_eq!(
        zw.body["custom"],
        json!({"industry": "金融", "employees": 1280}),
        "{:?}",
        zw.body
    );
    // Under `fill`, the empty founding date is filled and the industry kept; the check says so.
    let more = "姓名,手机,成立日期,行业\r\n张伟,13800138000,2020-03-01,制造业\r\n";
    let (_, j2) = upload(&app, "补充.csv", more.as_bytes(), &[("policy", "fill")]).await;
    let j2 = j2["id"].as_i64().expect("id");
    let checked = settled(&app, j2).await;
    assert_eq!(checked["counts"]["updated"], 1, "{checked:?}");
    let report = app
        .http
        .get(format!("{}/api/v1/imports/{j2}/rows.csv", app.base))
        .header("Accept-Language", "zh-CN")
        .bearer_auth(app.token.as_deref().expect("token"))
        .send()
        .await
        .expect("report")
        .text()
        .await
        .expect("text");
    assert!(report.contains("成立日期：— → 2020-03-01"), "{report}");
    assert!(
        !report.contains("行业"),
        "the industry is not empty: {report}"
    );
    let started = app
        .post(
            &format!("/api/v1/imports/{j2}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    settled(&app, j2).await;
    let zw = app
        .get(&format!("/api/v1/customers/{}", zw.body["id"]))
        .await;
    assert_eq!(
        zw.body["custom"],
        json!({"industry": "金融", "employees": 1280, "founded": "2020-03-01"}),
        "{:?}",
        zw.body
    );
    // The export heads its custom columns by label; it goes back in with them mapped, and
    // its person is recognised with nothing to change.
    let export = app
        .http
        .get(format!("{}/api/v1/customers/export.csv", app.base))
        .header("Accept-Language", "zh-CN")
        .bearer_auth(app.token.as_deref().expect("token"))
        .send()
        .await
        .expect("export")
        .bytes()
        .await
        .expect("bytes");
    let (_, back) = upload(&app, "导出.csv", &export, &[]).await;
    let back = settled(&app, back["id"].as_i64().expect("id")).await;
    let why = app
        .get(&format!("/api/v1/imports/{}/rows", back["id"]))
        .await
        .body;
    let custom: Vec<&str> = back["mapping"]["custom"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["key"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(custom, ["industry", "employees", "founded"], "{back:?}");
    assert_eq!(
        (
            back["counts"]["matched"].as_u64(),
            back["counts"]["updated"].as_u64(),
            back["counts"]["rejected"].as_u64()
        ),
        (Some(1), Some(0), Some(0)),
        "{why:?}"
    );
}

/// The three policies over HTTP on one known customer: `skip` leaves her alone, `fill` fills
/// only what is empty, `overwrite` replaces what the file has.
async fn each_policy_does_what_it_says(mut app: TestApp) {
    app.use_new_org("三种策略").await;
    let known = app
        .post(
            "/api/v1/customers",
            &json!({"name": "周敏", "city": "宁波",
                    "contact_points": [{"kind": "mobile", "value": "13600136000"}]}),
        )
        .await;
    assert_eq!(known.status, 201, "{:?}", known.body);
    let file = "姓名,手机,城市,职位\r\n周敏,13600136000,杭州,采购经理\r\n";
    let url = format!("/api/v1/customers/{}", known.body["id"]);
    let city_title = || {
        let (app, url) = (&app, &url);
        async move {
            let c = app.get(url).await.body;
            (
                c["city"].as_str().map(str::to_owned),
                c["title"].as_str().map(str::to_owned),
            )
        }
    };
    let run = |policy: &'static str| {
        let app = &app;
        async move {
            let (status, job) = upload(
                app,
                "策略.csv",
                file.as_bytes(),
                &[("policy", policy), ("mode", "import")],
            )
            .await;
            assert_eq!(status, 202, "{job:?}");
            settled(app, job["id"].as_i64().expect("id")).await
        }
    };
    let skipped = run("skip").await;
    assert_eq!(skipped["counts"]["updated"], 0, "{skipped:?}");
    assert_eq!(city_title().await, (Some("宁波".into()), None));
    let filled = run("fill").await;
    assert_eq!(filled["counts"]["updated"], 1, "{filled:?}");
    assert_eq!(
        city_title().await,
        (Some("宁波".into()), Some("采购经理".into())),
        "fill keeps the city and fills the empty title"
    );
    let overwritten = run("overwrite").await;
    assert_eq!(overwritten["counts"]["updated"], 1, "{overwritten:?}");
    assert_eq!(
        city_title().await,
        (Some("杭州".into()), Some("采购经理".into()))
    );
}

/// When the guess is wrong, the person who knows the file says how to read it: the encoding
/// and delimiter chosen at the upload are used by the check, the import after it and any
/// resume; a choice Guanxi does not offer is refused with the field named.
async fn a_file_can_be_read_with_the_encoding_and_delimiter_chosen(mut app: TestApp) {
    app.use_new_org("繁体文件").await;
    let big5 = encoding_rs::BIG5
        .encode("姓名|手機|城市\r\n陳美玲|0912 345 678|臺北\r\n")
        .0
        .into_owned();
    let (status, bad) = upload(&app, "台北.csv", &big5, &[("encoding", "latin1")]).await;
    assert_eq!(status, 422, "{bad:?}");
    assert_eq!(error_fields(&bad), vec!["encoding"]);
    let (status, job) = upload(
        &app,
        "台北.csv",
        &big5,
        &[("encoding", "big5"), ("delimiter", "|"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(job["encoding"], "Big5", "{job:?}");
    assert_eq!(job["mapping"]["headers"], json!(["姓名", "手機", "城市"]));
    assert_eq!(job["mapping"]["delimiter"], "|");
    let done = settled(&app, job["id"].as_i64().expect("id")).await;
    assert_eq!(done["status"], "done", "{done:?}");
    assert_eq!(done["counts"]["created"], 1, "{done:?}");
    let list = app.get("/api/v1/customers?q=%E9%99%B3").await;
    assert_eq!(list.body["items"][0]["name"], "陳美玲", "{:?}", list.body);
    assert_eq!(list.body["items"][0]["city"], "臺北", "{:?}", list.body);
    // The import reads as chosen, not as it would guess: Big5 read as GB18030 on purpose
    // comes out as other characters (the headers are plain ASCII, so the columns still map).
    let wrong = encoding_rs::BIG5
        .encode("name|city\r\n王小明|高雄\r\n")
        .0
        .into_owned();
    let (status, job) = upload(
        &app,
        "高雄.csv",
        &wrong,
        &[("encoding", "gbk"), ("delimiter", "|"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(job["encoding"], "gb18030", "{job:?}");
    let done = settled(&app, job["id"].as_i64().expect("id")).await;
    assert_eq!(done["counts"]["created"], 1, "{done:?}");
    let all = app.get("/api/v1/customers?limit=10").await;
    let names: Vec<&str> = all.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(!names.contains(&"王小明"), "{names:?}");
}

/// A phone's address book (vCard 2.1 quoted-printable, 3.0 with a folded note, 4.0) goes in
/// through the same upload, check and import, Chinese names and all, and a card that repeats a
/// known number joins that customer.
async fn an_address_book_comes_in_as_vcards(mut app: TestApp) {
    app.use_new_org("通讯录").await;
    let known = app
        .post(
            "/api/v1/customers",
            &json!({"name": "老客户", "contact_points": [{"kind": "mobile", "value": "13700137000"}]}),
        )
        .await;
    assert_eq!(known.status, 201, "{:?}", known.body);
    let cards = "BEGIN:VCARD\r\nVERSION:2.1\r\n\
N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0;=E4=BC=9F;;;\r\n\
FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=E5=BC=A0=E4=BC=9F\r\n\
TEL;CELL:138 0013 8000\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:3.0\r\nFN:王芳\r\nN:王;芳;;;\r\nORG:杭州华信科技有限公司;销售部\r\n\
TITLE:销售经理\r\nTEL;TYPE=CELL:139 1234 5678\r\nEMAIL;TYPE=INTERNET:wangfang1988@example.cn\r\n\
NOTE:每年续约，喜欢\r\n  电话联系\r\nEND:VCARD\r\n\
BEGIN:VCARD\r\nVERSION:4.0\r\nFN:老客户（手机通讯录）\r\nTEL;VALUE=uri;TYPE=cell:tel:+86-137-0013-7000\r\nEND:VCARD\r\n";
    let (status, job) = upload(&app, "通讯录.vcf", cards.as_bytes(), &[("policy", "fill")]).await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(job["format"], "vcard", "{job:?}");
    let id = job["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    assert_eq!(
        (
            checked["counts"]["created"].as_u64(),
            checked["counts"]["matched"].as_u64()
        ),
        (Some(2), Some(1)),
        "{checked:?}"
    );
    let started = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let done = settled(&app, id).await;
    assert_eq!(done["status"], "done", "{done:?}");
    let zhang = app.get("/api/v1/customers/lookup?phone=13800138000").await;
    assert_eq!(zhang.body["matches"][0]["name"], "张伟", "{:?}", zhang.body);
    let wang = app
        .get("/api/v1/customers/lookup?email=wangfang1988@example.cn")
        .await;
    let w = &wang.body["matches"][0];
    assert_eq!(w["name"], "王芳", "{:?}", wang.body);
    assert_eq!(w["title"], "销售经理", "{w:?}");
    assert_eq!(
        w["note"], "每年续约，喜欢 电话联系",
        "the folded line is one line: {w:?}"
    );
    let old = app.get("/api/v1/customers/lookup?phone=13700137000").await;
    assert_eq!(
        old.body["matches"].as_array().map(Vec::len),
        Some(1),
        "the known number joined its customer: {:?}",
        old.body
    );
}

/// A file whose rows stop being readable part-way (a quote never closed swallows the rest) is
/// refused before anything is written: an import that had written the rows before the break
/// could never be finished by a resume.
async fn a_file_that_breaks_part_way_imports_nothing(mut app: TestApp) {
    app.use_new_org("半截文件").await;
    let mut file = String::from("姓名,手机\r\n王一,13800000001\r\n王二,13800000002\r\n");
    file.push_str("\"坏行,");
    file.push_str(&"很长的备注".repeat(80_000));
    file.push_str("\r\n王三,13800000003\r\n");
    let (status, job) = upload(&app, "半截.csv", file.as_bytes(), &[("mode", "import")]).await;
    assert_eq!(status, 202, "{job:?}");
    let job = settled(&app, job["id"].as_i64().expect("id")).await;
    assert_eq!(job["status"], "failed", "{job:?}");
    let error = job["error"].as_str().unwrap_or_default();
    assert!(error.contains("引号"), "the reason is given: {error}");
    assert_eq!(job["rows_done"], 0, "{job:?}");
    let first = app.get("/api/v1/customers/lookup?phone=13800000001").await;
    assert!(
        first.body["matches"].as_array().is_some_and(Vec::is_empty),
        "nothing before the break was written: {:?}",
        first.body
    );
}

/// An upload waits for its job (a check for its import) only so long: the retention sweep
/// deletes it, marks the job, and the job then refuses to start, naming the file, with nothing
/// about it changed. Fresh uploads, a job touched since, and files outside the upload folder
/// (the command line's) are left alone.
async fn an_upload_kept_past_its_retention_is_deleted_and_its_job_says_so(mut app: TestApp) {
    use guanxi_api::import_jobs::remove_stale_uploads;
    use std::time::Duration;
    let org = app.use_new_org("保留期限").await;
    let ctx = guanxi_store::Ctx::new(guanxi_core::OrgId(org));
    let file = "姓名,手机\r\n王一,13800000001\r\n".as_bytes();
    let (status, checked) = upload(&app, "待导入.csv", file, &[("mode", "check")]).await;
    assert_eq!(status, 202, "{checked:?}");
    let id = checked["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    assert_eq!(
        (checked["status"].as_str(), checked["mode"].as_str()),
        (Some("done"), Some("check"))
    );
    assert!(checked["file_removed_at"].is_null(), "{checked:?}");
    let job_id = guanxi_core::ImportJobId(id);
    let path = app
        .store
        .import_job(ctx, job_id)
        .await
        .expect("job")
        .file_path
        .expect("kept");
    assert!(
        std::path::Path::new(&path).starts_with(&app.upload_dir),
        "{path}"
    );
    assert!(std::path::Path::new(&path).exists());

    // A job of the command line names the user's own file, outside the upload folder.
    let own = std::env::temp_dir().join(format!("guanxi-own-file-{}-{id}.csv", std::process::id()));
    std::fs::write(&own, file).expect("own file");
    let cli_job = app
        .store
        .create_import_job(
            ctx,
            guanxi_store::NewImportJob {
                kind: guanxi_core::ImportKind::Customers,
                file_name: "own.csv".into(),
                file_path: Some(own.to_string_lossy().into_owned()),
                file_size: file.len() as u64,
                file_sha256: "00".into(),
                format: "csv".into(),
                encoding: "UTF-8".into(),
                mapping: json!({}),
                policy: guanxi_store::ImportPolicy::Skip,
                mode: guanxi_store::ImportMode::Check,
            },
        )
        .await
        .expect("cli job");

    // An import that finished: its file went at once.
    let (status, imported) = upload(&app, "已导入.csv", file, &[("mode", "import")]).await;
    assert_eq!(status, 202, "{imported:?}");
    let imported_id = imported["id"].as_i64().expect("id");
    assert_eq!(settled(&app, imported_id).await["status"], "done");
    // A job started again (a check to import) that the sweep reaches before it is claimed,
    // and one claimed after the cut-off (running now): made through the store, to hold them
    // in those states.
    let new_job = |name: &str| {
        let p = app.upload_dir.join(format!("{name}.csv"));
        std::fs::create_dir_all(&app.upload_dir).expect("dir");
        std::fs::write(&p, file).expect("file");
        guanxi_store::NewImportJob {
            kind: guanxi_core::ImportKind::Customers,
            file_name: format!("{name}.csv"),
            file_path: Some(p.to_string_lossy().into_owned()),
            file_size: file.len() as u64,
            file_sha256: "00".into(),
            format: "csv".into(),
            encoding: "UTF-8".into(),
            mapping: json!({}),
            policy: guanxi_store::ImportPolicy::Skip,
            mode: guanxi_store::ImportMode::Import,
        }
    };
    let unclaimed = app
        .store
        .create_import_job(ctx, new_job("unclaimed"))
        .await
        .expect("job");
    let claimed = app
        .store
        .create_import_job(ctx, new_job("claimed"))
        .await
        .expect("job");

    // Within the period nothing goes.
    let n = remove_stale_uploads(&*app.store, &app.upload_dir, Duration::from_secs(3600))
        .await
        .expect("sweep");
    assert_eq!(n, 0);
    assert!(std::path::Path::new(&path).exists());

    // A job claimed after the cut-off keeps its file, whatever the sweep found before.
    let cut = chrono::Utc::now();
    tokio::time::sleep(Duration::from_millis(5)).await;
    app.store
        .claim_import_job(ctx, claimed.id)
        .await
        .expect("claim");
    let kept = app
        .store
        .remove_import_file(ctx, claimed.id, cut)
        .await
        .expect("guarded");
    assert!(kept.is_none(), "a running job keeps its file");

    // Cancelled, it no longer needs its file either.
    app.store
        .cancel_import_job(ctx, claimed.id)
        .await
        .expect("cancel");

    // Past the period: the files of the waiting jobs go and are marked on them; the cancelled
    // job's file goes unmarked (it did not need it); the finished import's was already gone;
    // the command line's own file stays.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let n = remove_stale_uploads(&*app.store, &app.upload_dir, Duration::ZERO)
        .await
        .expect("sweep");
    assert_eq!(
        n, 3,
        "the checked file, the unclaimed job's and the cancelled job's"
    );
    assert!(
        !std::path::Path::new(&path).exists(),
        "the upload is deleted"
    );
    assert!(
        own.exists(),
        "a file outside the upload folder is never touched"
    );
    let cli_job = app
        .store
        .import_job(ctx, cli_job.id)
        .await
        .expect("cli job");
    assert!(cli_job.file_path.is_some() && cli_job.file_removed_at.is_none());
    let _ = std::fs::remove_file(&own);
    let imported = app
        .get(&format!("/api/v1/imports/{imported_id}"))
        .await
        .body;
    assert!(
        imported["file_removed_at"].is_null(),
        "a finished import did not need its file: nothing to say {imported:?}"
    );
    let cancelled = app
        .store
        .import_job(ctx, claimed.id)
        .await
        .expect("cancelled");
    assert!(cancelled.file_path.is_none() && cancelled.file_removed_at.is_none());
    assert!(!app.upload_dir.join("claimed.csv").exists());

    // The unclaimed job, when its runner claims it, fails with the reason instead of
    // waiting as "running" for ever.
    let refused = app.store.claim_import_job(ctx, unclaimed.id).await;
    assert!(
        matches!(&refused, Err(guanxi_store::StoreError::Conflict { field, .. }) if field == "file"),
        "{refused:?}"
    );
    let failed = app.store.import_job(ctx, unclaimed.id).await.expect("job");
    assert_eq!(failed.status, guanxi_store::ImportStatus::Failed);
    assert!(failed.file_removed_at.is_some());
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("保留期限") && e.contains("retention")),
        "{:?}",
        failed.error
    );
    let r = app
        .post(
            &format!("/api/v1/imports/{}/resume", unclaimed.id.get()),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 409, "{:?}", r.body);
    assert_eq!(error_fields(&r.body), vec!["file".to_owned()]);

    let job = app.get(&format!("/api/v1/imports/{id}")).await;
    assert!(job.body["file_removed_at"].is_string(), "{:?}", job.body);
    for (lang, says) in [("zh-CN", "重新上传"), ("en", "upload the file again")] {
        app.lang = lang;
        let r = app
            .post(
                &format!("/api/v1/imports/{id}/start"),
                &json!({"mode": "import"}),
            )
            .await;
        assert_eq!(r.status, 409, "{:?}", r.body);
        assert_eq!(error_fields(&r.body), vec!["file".to_owned()]);
        let reason = r.body["error"]["fields"][0]["reason"]
            .as_str()
            .unwrap_or("");
        assert!(reason.contains(says), "{reason}");
    }
    let after = app.get(&format!("/api/v1/imports/{id}")).await.body;
    assert_eq!(
        (after["status"].as_str(), after["mode"].as_str()),
        (Some("done"), Some("check")),
        "a refused start changes nothing: {after:?}"
    );
    let events = app.get("/api/v1/events?after=0&limit=1000").await.body;
    let removed: Vec<&Value> = events["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["event_type"] == "import.file_removed")
                .collect()
        })
        .unwrap_or_default();
    let mut removed_ids: Vec<i64> = removed
        .iter()
        .filter_map(|e| e["entity_id"].as_i64())
        .collect();
    removed_ids.sort_unstable();
    assert_eq!(removed_ids, vec![id, unclaimed.id.get()], "{events:?}");

    // Once is enough: the next sweep finds nothing.
    let n = remove_stale_uploads(&*app.store, &app.upload_dir, Duration::ZERO)
        .await
        .expect("sweep");
    assert_eq!(n, 0);
}

/// A multipart body with one file part and text fields.
fn multipart(file_name: &str, bytes: &[u8], fields: &[(&str, &str)]) -> (String, Vec<u8>) {
    let boundary = "----guanxi-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    app: &TestApp,
    file_name: &str,
    bytes: &[u8],
    fields: &[(&str, &str)],
) -> (u16, Value) {
    let (ct, body) = multipart(file_name, bytes, fields);
    let mut r = app
        .http
        .post(format!("{}/api/v1/imports", app.base))
        .header("Accept-Language", app.lang)
        .header("Content-Type", ct)
        .body(body);
    if let Some(t) = &app.token {
        r = r.bearer_auth(t);
    }
    let resp = r.send().await.expect("upload");
    let status = resp.status().as_u16();
    let text = resp.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Wait until a job is no longer running.
async fn settled(app: &TestApp, id: i64) -> Value {
    for _ in 0..300 {
        let j = app.get(&format!("/api/v1/imports/{id}")).await;
        assert_eq!(j.status, 200, "{:?}", j.body);
        if j.body["status"] != "running" {
            return j.body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} did not finish");
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

async fn a_gbk_file_is_checked_imported_and_exported(mut app: TestApp) {
    app.use_new_org("导入公司").await;
    let known = app
        .post(
            "/api/v1/customers",
            &json!({"name": "老客户", "contact_points": [{"kind": "mobile", "value": "13800138000"}]}),
        )
        .await;
    assert_eq!(known.status, 201, "{:?}", known.body);
    let file = gbk("姓名,手机,邮箱,公司,城市\r\n\
         张伟,13912345678,zhangwei@example.cn,杭州华信科技有限公司,杭州\r\n\
         老客户（表格）,138 0013 8000,,,上海\r\n\
         王芳,1.39123E+10,wangfang@example.cn,,\r\n\
         张伟（重复）,+86 139 1234 5678,,,\r\n\
         ,,,,\r\n\
         李娜,13700137000,lina@example.cn,杭州华信科技有限公司,\r\n\
         王小明,13600136000,,上海浦东发展银行,\r\n\
         王小明,13600136001,,,\r\n");
    let (status, job) = upload(&app, "旧系统导出.csv", &file, &[("policy", "fill")]).await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(job["mode"], "check");
    assert_eq!(job["encoding"], "gb18030");
    let id = job["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    assert_eq!(checked["status"], "done", "{checked:?}");
    let c = &checked["counts"];
    assert_eq!(
        (
            c["created"].as_u64(),
            c["matched"].as_u64(),
            c["same_as"].as_u64(),
            c["rejected"].as_u64(),
            c["skipped"].as_u64()
        ),
        (Some(4), Some(1), Some(1), Some(1), Some(1)),
        "{checked:?}"
    );
    assert_eq!(checked["mapping"]["headers"][1], "手机");
    // The check wrote nothing but its report.
    let none = app.get("/api/v1/customers/lookup?phone=13912345678").await;
    assert!(
        none.body["matches"].as_array().is_none_or(Vec::is_empty),
        "{:?}",
        none.body
    );
    let rows = app
        .get(&format!("/api/v1/imports/{id}/rows?outcome=rejected"))
        .await;
    assert_eq!(rows.status, 200);
    let rejected = &rows.body[0];
    assert_eq!(rejected["line"], 4);
    let zh = rejected["detail"]["reasons"][0]["zh"].as_str().expect("zh");
    assert!(zh.contains("科学计数法"), "{zh}");
    let en = rejected["detail"]["reasons"][0]["en"].as_str().expect("en");
    assert!(en.contains("scientific notation"), "{en}");
    // Import it.
    let started = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let done = settled(&app, id).await;
    assert_eq!(
        (done["status"].as_str(), done["mode"].as_str()),
        (Some("done"), Some("import"))
    );
    assert_eq!(done["counts"]["created"], 4);
    assert_eq!(done["counts"]["duplicates"], 1, "{done:?}");
    let pairs = app.get("/api/v1/duplicates").await;
    assert_eq!(pairs.body[0]["reason"], "similar_phone", "{:?}", pairs.body);
    assert_eq!(done["counts"]["companies"], 2);
    assert_eq!(done["counts"]["updated"], 1);
    assert_eq!(done["percent"], 100);
    let zw = app.get("/api/v1/customers/lookup?phone=13912345678").await;
    assert_eq!(
        zw.body["matches"].as_array().map(Vec::len),
        Some(1),
        "{:?}",
        zw.body
    );
    let k = app
        .get(&format!("/api/v1/customers/{}", known.body["id"]))
        .await;
    assert_eq!(k.body["city"], "上海", "the empty city was filled");
    // An imported job cannot start over; the audit log has it.
    let again = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(again.status, 409, "{:?}", again.body);
    let audit = app.get("/api/v1/audit?entity=import_job").await;
    let actions: Vec<&str> = audit.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["action"].as_str()).collect())
        .unwrap_or_default();
    assert!(actions.contains(&"import.finished"), "{actions:?}");
    assert!(actions.contains(&"customers.imported"), "{actions:?}");
    // Saved mapping, reused by name.
    let saved = app
        .post(
            "/api/v1/import-mappings",
            &json!({"name": "旧系统", "job_id": id}),
        )
        .await;
    assert_eq!(saved.status, 200, "{:?}", saved.body);
    let (status, j2) = upload(
        &app,
        "第二批.csv",
        &gbk("姓名,手机,邮箱,公司,城市\r\n赵敏,13300133000,,,\r\n"),
        &[("mapping_name", "旧系统"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{j2:?}");
    let j2 = settled(&app, j2["id"].as_i64().expect("id")).await;
    assert_eq!(j2["counts"]["created"], 1, "{j2:?}");
    // The next export of that system has its columns in another order and no e-mail: the
    // saved mapping finds each column by its header, not by its place.
    let (status, j3) = upload(
        &app,
        "第三批.csv",
        &gbk("城市,公司,姓名,手机\r\n苏州,苏州工业园区管委会,钱多多,13300133999\r\n"),
        &[("mapping_name", "旧系统"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{j3:?}");
    let j3 = settled(&app, j3["id"].as_i64().expect("id")).await;
    assert_eq!(j3["counts"]["created"], 1, "{j3:?}");
    let qian = app.get("/api/v1/customers/lookup?phone=13300133999").await;
    let found = &qian.body["matches"][0];
    assert_eq!(
        (found["name"].as_str(), found["city"].as_str()),
        (Some("钱多多"), Some("苏州")),
        "{:?}",
        qian.body
    );
    // And back out: the list as CSV holds the Chinese names.
    let csv = app
        .http
        .get(format!("{}/api/v1/customers/export.csv", app.base))
        .bearer_auth(app.token.as_deref().expect("token"))
        .send()
        .await
        .expect("export");
    let text = csv.text().await.expect("csv");
    assert!(text.contains("李娜") && text.contains("赵敏"), "{text}");
    // And as Excel: every cell text, so the phone stays digits.
    let xlsx = app
        .http
        .get(format!(
            "{}/api/v1/customers/export.xlsx?sort=name",
            app.base
        ))
        .header("Accept-Language", "zh-CN")
        .bearer_auth(app.token.as_deref().expect("token"))
        .send()
        .await
        .expect("xlsx");
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.expect("bytes").to_vec();
    let mut book = guanxi_import::Source::from_bytes(bytes.clone()).expect("a workbook");
    assert_eq!(book.format(), guanxi_import::Format::Xlsx);
    assert_eq!(book.headers()[2], "姓名");
    let mut rows = Vec::new();
    while let Some(r) = book.next_record() {
        rows.push(r.cells.expect("cells"));
    }
    let lina = rows
        .iter()
        .find(|r| r[2] == "李娜")
        .expect("李娜 in the workbook");
    assert_eq!(
        (lina[3].as_str(), lina[5].as_str(), lina[7].as_str()),
        (
            "杭州华信科技有限公司",
            "+86 137 0013 7000",
            "lina@example.cn"
        )
    );
    // The workbook goes back in as it came out: its columns are mapped by their headers and
    // its people are recognised, not created again.
    let (status, back) = upload(&app, "客户.xlsx", &bytes, &[]).await;
    assert_eq!(status, 202, "{back:?}");
    let back = settled(&app, back["id"].as_i64().expect("id")).await;
    let columns = &back["mapping"]["columns"];
    assert_eq!(
        (
            columns[2].as_str(),
            columns[3].as_str(),
            columns[5].as_str(),
            columns[7].as_str()
        ),
        (Some("name"), Some("company"), Some("mobile"), Some("email")),
        "{back:?}"
    );
    assert_eq!(back["counts"]["rejected"], 0, "{back:?}");
    assert!(
        back["counts"]["matched"].as_u64() >= Some(4),
        "the people come back as themselves: {back:?}"
    );
    // The job keeps the worksheet it read; another one is asked for by name or number, and
    // one the workbook does not have is refused naming those it has.
    let sheet = back["mapping"]["sheet"]
        .as_str()
        .expect("a sheet")
        .to_owned();
    assert_eq!(
        back["mapping"]["sheets"],
        json!([sheet.clone()]),
        "{back:?}"
    );
    // A workbook of three sheets: hidden instructions, this year's customers, last year's.
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet().set_name("填表说明").expect("name");
    notes
        .write_string(0, 0, "请在“今年”工作表填写")
        .expect("cell");
    notes.set_hidden(true);
    for (name, people) in [
        ("今年", &[("周一", "13100131001")][..]),
        (
            "去年",
            &[("吴二", "13100131002"), ("郑三", "13100131003")][..],
        ),
    ] {
        let sheet = book.add_worksheet().set_name(name).expect("name");
        if name == "今年" {
            sheet.set_active(true);
        }
        sheet.write_string(0, 0, "姓名").expect("cell");
        sheet.write_string(0, 1, "手机").expect("cell");
        for (r, (who, phone)) in people.iter().enumerate() {
            let r = u32::try_from(r).expect("row") + 1;
            sheet.write_string(r, 0, *who).expect("cell");
            sheet.write_string(r, 1, *phone).expect("cell");
        }
    }
    let three = book.save_to_buffer().expect("workbook");
    // The first visible sheet by default; the chosen one through check, import and its
    // report, by name or by number.
    let (_, first) = upload(&app, "名单.xlsx", &three, &[]).await;
    let first = settled(&app, first["id"].as_i64().expect("id")).await;
    assert_eq!(first["mapping"]["sheet"], "今年", "{first:?}");
    assert_eq!(
        first["mapping"]["sheets"],
        json!(["填表说明", "今年", "去年"])
    );
    assert_eq!(first["counts"]["created"], 1, "{first:?}");
    for chosen in ["去年", "3"] {
        let (status, j) = upload(&app, "名单.xlsx", &three, &[("sheet", chosen)]).await;
        assert_eq!(status, 202, "{j:?}");
        let j = settled(&app, j["id"].as_i64().expect("id")).await;
        assert_eq!(j["mapping"]["sheet"], "去年", "{chosen}: {j:?}");
        assert_eq!(j["counts"]["created"], 2, "{chosen}: {j:?}");
    }
    let (_, last_year) = upload(&app, "名单.xlsx", &three, &[("sheet", "去年")]).await;
    let ly = last_year["id"].as_i64().expect("id");
    settled(&app, ly).await;
    let started = app
        .post(
            &format!("/api/v1/imports/{ly}/start"),
            &json!({"mode": "import", "columns": ["name", "mobile"]}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let done = settled(&app, ly).await;
    assert_eq!(
        (done["status"].as_str(), done["counts"]["created"].as_u64()),
        (Some("done"), Some(2)),
        "the import read the sheet its check read: {done:?}"
    );
    let wu = app.get("/api/v1/customers/lookup?phone=13100131002").await;
    assert_eq!(wu.body["matches"][0]["name"], "吴二", "{:?}", wu.body);
    let zhou = app.get("/api/v1/customers/lookup?phone=13100131001").await;
    assert!(
        zhou.body["matches"].as_array().is_none_or(Vec::is_empty),
        "this year's sheet was not imported: {:?}",
        zhou.body
    );
    let (status, missing) = upload(&app, "名单.xlsx", &three, &[("sheet", "订单")]).await;
    assert_eq!(status, 422, "{missing:?}");
    assert_eq!(error_fields(&missing), ["sheet"]);
    assert!(
        missing.to_string().contains("去年") && missing.to_string().contains("填表说明"),
        "names the sheets there are: {missing:?}"
    );
    // A changed mapping is checked: a field twice is refused with the column named.
    let (_, j3) = upload(
        &app,
        "三.csv",
        &gbk("姓名,手机\r\n钱七,13500135000\r\n"),
        &[],
    )
    .await;
    let id3 = j3["id"].as_i64().expect("id");
    settled(&app, id3).await;
    let twice = app
        .post(
            &format!("/api/v1/imports/{id3}/start"),
            &json!({"mode": "check", "columns": ["name", "name"]}),
        )
        .await;
    assert_eq!(twice.status, 422, "{:?}", twice.body);
    assert_eq!(error_fields(&twice.body), vec!["columns[1]"]);
    let no_name = app
        .post(
            &format!("/api/v1/imports/{id3}/start"),
            &json!({"mode": "check", "columns": [null, "mobile"]}),
        )
        .await;
    assert_eq!(error_fields(&no_name.body), vec!["columns"]);
    let rechecked = app
        .post(
            &format!("/api/v1/imports/{id3}/start"),
            &json!({"mode": "check", "columns": ["name", null], "policy": "skip"}),
        )
        .await;
    assert_eq!(rechecked.status, 202, "{:?}", rechecked.body);
    let r = settled(&app, id3).await;
    assert_eq!(r["mapping"]["columns"][1], Value::Null);
    assert_eq!(r["policy"], "skip");
}

async fn bad_files_are_refused_with_a_reason(mut app: TestApp) {
    let org = app.use_new_org("坏文件").await;
    // No file at all.
    let (ct, body) = multipart("x.csv", b"", &[]);
    let body = String::from_utf8_lossy(&body).replace("name=\"file\"", "name=\"other\"");
    let r = app.raw(Method::POST, "/api/v1/imports", &body, &ct).await;
    assert_eq!(r.status, 422, "{:?}", r.body);
    // An empty file, and a zip that is not a spreadsheet.
    for (name, bytes) in [
        ("empty.csv", Vec::new()),
        ("fake.xlsx", b"PK\x03\x04not really a zip".to_vec()),
    ] {
        let (status, body) = upload(&app, name, &bytes, &[]).await;
        assert_eq!(status, 422, "{name}: {body:?}");
        assert_eq!(error_fields(&body), vec!["file"], "{name}");
    }
    // Bad options are named.
    let (status, body) = upload(
        &app,
        "a.csv",
        "姓名\n张三\n".as_bytes(),
        &[("policy", "merge")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&body), vec!["policy"]);
    let (status, body) = upload(
        &app,
        "a.csv",
        "姓名\n张三\n".as_bytes(),
        &[("mapping_name", "没有这个")],
    )
    .await;
    assert_eq!(status, 422, "{body:?}");
    assert_eq!(error_fields(&body), vec!["mapping_name"]);
    // Sales reps and agents do not import; another organisation does not see the jobs.
    let (status, job) = upload(
        &app,
        "ok.csv",
        "姓名,手机\n张三,13800138000\n".as_bytes(),
        &[],
    )
    .await;
    assert_eq!(status, 202, "{job:?}");
    let id = job["id"].as_i64().expect("id");
    let (_, rep) = app.user_with_token(org, Role::SalesRep, None).await;
    let admin = app.token.replace(rep);
    let (status, _) = upload(&app, "ok.csv", "姓名\n张三\n".as_bytes(), &[]).await;
    assert_eq!(status, 403);
    assert_eq!(app.get(&format!("/api/v1/imports/{id}")).await.status, 403);
    app.token = admin;
    app.use_new_org("别家").await;
    assert_eq!(app.get(&format!("/api/v1/imports/{id}")).await.status, 404);
}

async fn duplicates_are_reviewed_and_people_erased(mut app: TestApp) {
    let org = app.use_new_org("查重").await;
    let mut ids = Vec::new();
    for phone in ["13800138000", "13800138001", "13900139000"] {
        let c = app
            .post(
                "/api/v1/customers",
                &json!({"name": "李娜", "contact_points": [{"kind": "mobile", "value": phone}]}),
            )
            .await;
        assert_eq!(c.status, 201, "{:?}", c.body);
        ids.push(c.body["id"].as_i64().expect("id"));
    }
    // The scan is a record to follow until it is done, with what it compared and found.
    let started = app.post("/api/v1/duplicates/scan", &json!({})).await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    assert_eq!(started.body["status"], "running");
    let scan_id = started.body["id"].as_i64().expect("scan id");
    let url = format!("/api/v1/duplicates/scans/{scan_id}");
    let mut scan = Value::Null;
    for _ in 0..200 {
        scan = app.get(&url).await.body;
        if scan["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(scan["status"], "done", "{scan:?}");
    assert_eq!(
        (
            scan["stats"]["customers"].as_u64(),
            scan["stats"]["found"].as_u64()
        ),
        (Some(3), Some(1)),
        "{scan:?}"
    );
    let listed = app.get("/api/v1/duplicates/scans").await;
    assert_eq!(listed.body[0]["id"], scan_id, "{:?}", listed.body);
    let open = app.get("/api/v1/duplicates").await.body;
    let pairs = open.as_array().expect("pairs");
    assert_eq!(pairs.len(), 1, "{open:?}");
    assert_eq!(pairs[0]["reason"], "similar_phone");
    let pid = pairs[0]["id"].as_i64().expect("pair");
    let bad = app
        .post(
            &format!("/api/v1/duplicates/{pid}/merge"),
            &json!({"keep": ids[2]}),
        )
        .await;
    assert_eq!(bad.status, 422, "{:?}", bad.body);
    assert_eq!(error_fields(&bad.body), vec!["keep"]);
    let merged = app
        .post(
            &format!("/api/v1/duplicates/{pid}/merge"),
            &json!({"keep": ids[0]}),
        )
        .await;
    assert_eq!(merged.status, 200, "{:?}", merged.body);
    assert_eq!(merged.body["status"], "merged");
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}", ids[1]))
            .await
            .status,
        404
    );
    let twice = app
        .post(&format!("/api/v1/duplicates/{pid}/dismiss"), &json!({}))
        .await;
    assert_eq!(
        twice.status, 409,
        "a merged pair is decided: {:?}",
        twice.body
    );
    let left = app.get("/api/v1/duplicates").await;
    assert!(
        left.body.as_array().is_some_and(Vec::is_empty),
        "{:?}",
        left.body
    );
    // Erasure: administrators only; afterwards the person is gone from lookups.
    let (_, mgr) = app.user_with_token(org, Role::Manager, None).await;
    let admin = app.token.replace(mgr);
    let refused = app
        .post(&format!("/api/v1/customers/{}/erase", ids[0]), &json!({}))
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        app.get("/api/v1/duplicates").await.status,
        200,
        "managers review"
    );
    let data = app
        .get(&format!("/api/v1/customers/{}/personal-data", ids[0]))
        .await;
    assert_eq!(data.status, 403, "a manager cannot export a person's data");
    app.token = admin;
    // Before erasing, what a person asking "what do you hold about me" gets: the record with
    // the merged-in number, the audit trail of it (the merge), scores, nothing cut.
    let note = app
        .post(
            "/api/v1/interactions",
            &json!({"customer_id": ids[0], "channel": "phone", "direction": "inbound",
                    "body": "李娜来电咨询"}),
        )
        .await;
    assert_eq!(note.status, 201, "{:?}", note.body);
    let data = app
        .get(&format!("/api/v1/customers/{}/personal-data", ids[0]))
        .await;
    assert_eq!(data.status, 200, "{:?}", data.body);
    let d = &data.body;
    assert_eq!(d["customer"]["name"], "李娜");
    let numbers = d["customer"]["contact_points"].to_string();
    assert!(
        numbers.contains("138 0013 8000") && numbers.contains("138 0013 8001"),
        "{numbers}"
    );
    assert_eq!(d["interactions"][0]["body"], "李娜来电咨询", "{d:?}");
    let actions = d["audit"].to_string();
    assert!(
        actions.contains("customer.created") && actions.contains("customer.merged"),
        "{actions}"
    );
    assert!(d["scores"]["score"].is_null(), "not scored yet: {d:?}");
    assert_eq!(d["truncated"], json!([]));
    let exported = app
        .get(&format!(
            "/api/v1/audit?entity=customer&entity_id={}",
            ids[0]
        ))
        .await;
    assert!(
        exported
            .body
            .to_string()
            .contains("customer.personal_data_exported"),
        "the export is audited: {:?}",
        exported.body
    );
    let erased = app
        .post(&format!("/api/v1/customers/{}/erase", ids[0]), &json!({}))
        .await;
    assert_eq!(erased.status, 204, "{:?}", erased.body);
    assert_eq!(
        app.get(&format!("/api/v1/customers/{}", ids[0]))
            .await
            .status,
        404
    );
    let gone = app.get("/api/v1/customers/lookup?phone=13800138000").await;
    assert!(
        gone.body["matches"].as_array().is_none_or(Vec::is_empty),
        "{:?}",
        gone.body
    );
}

async fn a_messy_spreadsheet_export_gets_a_reason_per_row(mut app: TestApp) {
    app.use_new_org("乱表格").await;
    let file = "\u{feff}姓名;手机;邮箱;生日;备注\r\n\
                赵一;13800138000.0;;2024/1/5;\"两行\r\n备注\"\r\n\
                钱二;13800138002;;2024-01-05;\r\n\
                孙三;13800138003;;5/1/2024;\r\n\
                =HYPERLINK(\"http://x\");13800138004;;;\r\n\
                李四;1.38001E+10;;;\r\n\
                周五;13800138006\r\n\
                吴六;13800138007;;31/02/2024;\r\n\
                郑七;13800138008;bad@;;\r\n";
    let (status, job) = upload(&app, "乱.csv", file.as_bytes(), &[("dates", "dmy")]).await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(
        job["encoding"].as_str().map(str::to_lowercase).as_deref(),
        Some("utf-8")
    );
    let id = job["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    assert_eq!(checked["counts"]["created"], 3, "{checked:?}");
    assert_eq!(checked["counts"]["rejected"], 5, "{checked:?}");
    let rows = app
        .get(&format!("/api/v1/imports/{id}/rows?outcome=rejected"))
        .await;
    let lines: Vec<i64> = rows
        .body
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["line"].as_i64())
        .collect();
    // The quoted newline makes line 2 two lines long: the formula is on line 6.
    assert_eq!(lines, vec![6, 7, 8, 9, 10], "{:?}", rows.body);
    let reason = |line: i64| -> String {
        rows.body
            .as_array()
            .and_then(|a| a.iter().find(|r| r["line"] == line))
            .map(|r| r["detail"]["reasons"].to_string())
            .unwrap_or_default()
    };
    assert!(reason(6).contains("公式"), "{}", reason(6));
    assert!(reason(7).contains("科学计数法"), "{}", reason(7));
    assert!(reason(8).contains("列"), "ragged: {}", reason(8));
    assert!(reason(9).contains("生日"), "{}", reason(9));
    assert!(reason(10).contains("邮箱"), "{}", reason(10));
    // The whole report as a file to fix the rows in: Excel's BOM, the user's language.
    let csv = app
        .http
        .get(format!(
            "{}/api/v1/imports/{id}/rows.csv?outcome=rejected",
            app.base
        ))
        .header("Accept-Language", "zh-CN")
        .bearer_auth(app.token.as_deref().expect("token"))
        .send()
        .await
        .expect("report");
    assert_eq!(csv.status(), 200);
    let bytes = csv.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "Excel needs the BOM");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "行号,结果,客户编号,说明", "{text}");
    assert_eq!(lines.len(), 6, "{text}");
    assert!(
        lines[2].starts_with("7,拒绝,,") && lines[2].contains("科学计数法"),
        "{text}"
    );
    let other = app.get("/api/v1/imports/999999/rows.csv").await;
    assert_eq!(other.status, 404, "no such job");
    let started = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(started.status, 202);
    let done = settled(&app, id).await;
    assert_eq!(done["counts"]["created"], 3, "{done:?}");
    for phone in ["13800138000", "13800138002", "13800138003"] {
        let hit = app
            .get(&format!("/api/v1/customers/lookup?phone={phone}"))
            .await;
        let c = &hit.body["matches"][0];
        assert_eq!(c["birthday"], "2024-01-05", "{phone}: {c:?}");
        if phone == "13800138000" {
            assert_eq!(
                c["note"], "两行\n备注",
                "the quoted newline stays in its cell"
            );
        }
    }
}

async fn orders_leads_and_call_logs_come_in_from_files(mut app: TestApp) {
    app.use_new_org("记录导入公司").await;
    let known = app
        .post(
            "/api/v1/customers",
            &json!({"name": "老客户", "contact_points": [{"kind": "mobile", "value": "13800138000"}]}),
        )
        .await;
    assert_eq!(known.status, 201, "{:?}", known.body);
    let known_id = known.body["id"].as_i64().expect("id");
    // A shop's order export in GBK: one row per item, the order number repeated.
    let orders = gbk(
        "订单编号,收货人姓名,联系手机,订单创建时间,宝贝标题,宝贝数量,实付金额,订单状态\r\n\
         E1001,老客户,13800138000,2024/1/5 14:30,龙井茶礼盒,2,\"￥1,288.00\",交易成功\r\n\
         E1001,老客户,13800138000,2024/1/5 14:30,茶具,1,88元,交易成功\r\n\
         E1002,新买家,13912345678,2024-02-01,红茶,1,66.5,已发货\r\n\
         E1003,王芳,1.39123E+10,2024-02-02,绿茶,1,10,已付款\r\n\
         E1004,赵六,13700137000,2024-02-03,白茶,1,=G2*2,已付款\r\n\
         E1005,钱七,13600136000,不是日期,白茶,1,10,已付款\r\n\
         E1006,老客户,13800138001,2024-02-04,白茶,1,10,已付款\r\n",
    );
    let (status, job) = upload(&app, "店铺订单.csv", &orders, &[("kind", "orders")]).await;
    assert_eq!(status, 202, "{job:?}");
    assert_eq!(job["kind"], "orders");
    let id = job["id"].as_i64().expect("id");
    let checked = settled(&app, id).await;
    assert_eq!(checked["status"], "done", "{checked:?}");
    let columns: Vec<&str> = checked["mapping"]["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c.as_str().unwrap_or("-"))
        .collect();
    assert_eq!(
        columns,
        ["order_no", "name", "mobile", "date", "product", "quantity", "amount", "status"]
    );
    let c = &checked["counts"];
    assert_eq!(
        (
            c["created"].as_u64(),
            c["rejected"].as_u64(),
            c["customers"].as_u64(),
            checked["rows_done"].as_u64()
        ),
        (Some(3), Some(3), Some(2), Some(7)),
        "{checked:?}"
    );
    assert_eq!(checked["counts"]["duplicates"], 0, "a check queues no pair");
    let mine = app
        .get(&format!("/api/v1/customers/{known_id}/orders"))
        .await;
    assert_eq!(mine.status, 200, "{:?}", mine.body);
    assert_eq!(
        mine.body["items"].as_array().map(Vec::len),
        Some(0),
        "a check writes no order: {:?}",
        mine.body
    );
    let rows = app
        .get(&format!("/api/v1/imports/{id}/rows?outcome=rejected"))
        .await;
    let lines: Vec<i64> = rows
        .body
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["line"].as_i64())
        .collect();
    assert_eq!(lines, vec![5, 6, 7], "{:?}", rows.body);
    let started = app
        .post(
            &format!("/api/v1/imports/{id}/start"),
            &json!({"mode": "import"}),
        )
        .await;
    assert_eq!(started.status, 202, "{:?}", started.body);
    let done = settled(&app, id).await;
    assert_eq!(
        (done["status"].as_str(), done["counts"]["created"].as_u64()),
        (Some("done"), Some(3)),
        "{done:?}"
    );
    // The buyer E1006 names, with a number one digit from the known customer's, is a new
    // customer and goes to the review queue with it.
    assert_eq!(done["counts"]["duplicates"], 1, "{done:?}");
    let pairs = app.get("/api/v1/duplicates").await;
    assert_eq!(pairs.body[0]["reason"], "similar_phone", "{:?}", pairs.body);
    let mine = app
        .get(&format!("/api/v1/customers/{known_id}/orders"))
        .await;
    let order = &mine.body["items"][0];
    assert_eq!(order["external_id"], "E1001", "{:?}", mine.body);
    assert_eq!(order["total"], "1376.00", "1,288.00 + 88");
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(order["status"], "completed");
    assert_eq!(order["placed_at"], "2024-01-05T06:30:00Z");
    let buyer = app.get("/api/v1/customers/lookup?phone=13912345678").await;
    assert_eq!(
        buyer.body["matches"][0]["name"], "新买家",
        "{:?}",
        buyer.body
    );
    // The same file again: every order is already there.
    let (status, again) = upload(
        &app,
        "店铺订单.csv",
        &orders,
        &[("kind", "orders"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{again:?}");
    let again = settled(&app, again["id"].as_i64().expect("id")).await;
    assert_eq!(
        (
            again["counts"]["created"].as_u64(),
            again["counts"]["matched"].as_u64()
        ),
        (Some(0), Some(3)),
        "{again:?}"
    );
    assert_eq!(again["counts"]["duplicates"], 0, "{again:?}");

    // A call centre's log: who called, when, how long.
    let calls = "客户姓名,来电号码,通话时间,呼叫类型,通话时长,备注\r\n\
         老客户,13800138000,2024-03-01 09:15,呼入,1分35秒,咨询年货礼盒的价格\r\n\
         ,,2024-03-01 10:00,呼出,20,回访\r\n";
    let (status, job) = upload(
        &app,
        "通话记录.csv",
        calls.as_bytes(),
        &[("kind", "interactions"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{job:?}");
    let done = settled(&app, job["id"].as_i64().expect("id")).await;
    assert_eq!(
        (
            done["counts"]["created"].as_u64(),
            done["counts"]["rejected"].as_u64()
        ),
        (Some(1), Some(1)),
        "{done:?}"
    );
    let timeline = app
        .get(&format!("/api/v1/customers/{known_id}/timeline"))
        .await;
    let call = &timeline.body["items"][0];
    assert_eq!(call["channel"], "phone", "{:?}", timeline.body);
    assert_eq!(call["direction"], "inbound");
    assert_eq!(call["duration_seconds"], 95);
    assert_eq!(call["occurred_at"], "2024-03-01T01:15:00Z");

    // Leads: the source by its name in the list; one that is not in it is refused.
    let leads = gbk(
        "姓名,公司,手机,来源\r\n线索甲,甲公司,13500135000,广告\r\n线索乙,,13500135001,电视购物\r\n",
    );
    let (status, job) = upload(
        &app,
        "线索.csv",
        &leads,
        &[("kind", "leads"), ("mode", "import")],
    )
    .await;
    assert_eq!(status, 202, "{job:?}");
    let done = settled(&app, job["id"].as_i64().expect("id")).await;
    assert_eq!(
        (
            done["counts"]["created"].as_u64(),
            done["counts"]["rejected"].as_u64()
        ),
        (Some(1), Some(1)),
        "{done:?}"
    );
    let list = app.get("/api/v1/leads").await;
    let lead = list.body["items"]
        .as_array()
        .or_else(|| list.body.as_array())
        .and_then(|a| a.iter().find(|l| l["name"] == "线索甲"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(lead["source"], "advertising", "{:?}", list.body);

    // An unknown kind, and a vCard as orders, are refused with the field named.
    let (status, body) = upload(&app, "x.csv", b"a,b\r\n1,2\r\n", &[("kind", "tickets")]).await;
    assert_eq!(status, 422, "{body:?}");
    assert!(error_fields(&body).contains(&"kind".to_owned()), "{body:?}");
    let (status, body) = upload(
        &app,
        "x.vcf",
        b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zhang\r\nTEL:13800138000\r\nEND:VCARD\r\n",
        &[("kind", "orders")],
    )
    .await;
    assert_eq!(status, 422, "{body:?}");
    assert!(error_fields(&body).contains(&"kind".to_owned()), "{body:?}");
}
