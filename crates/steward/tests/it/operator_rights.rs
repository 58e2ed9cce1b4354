//! The operator's tools for people's rights and for the master key, run as the real
//! `steward` binary against a running server's data: `dsar export` and `dsar erase` on a
//! business's instruction, and `keys rotate`, stopped half-way and finished.

use crate::cli::steward;
use crate::harness::{Fixture, Options, ScratchDir, TestServer, allergies_field};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Output;
use steward_app::App;
use steward_app::customers::records::{self, CustomerInput};
use steward_app::retention::{Actor, holds};
use steward_crypto::master_key::MasterKey;
use steward_domain::ids::{CustomerId, TenantId};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

/// 64 hexadecimal characters: a master key both the test's server and the binary hold.
fn new_key_hex() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

async fn server_with_key(hex: &str) -> TestServer {
    TestServer::start_with(Options { master_key: MasterKey::from_hex(hex), ..Options::default() }).await
}

/// Runs the binary on the server's data with the server's master key.
fn run(server: &TestServer, key_hex: &str, args: &[&str]) -> Output {
    let url = server.cli_database_url();
    steward()
        .args(["--database-url", &url])
        .args(args)
        .env("STEWARD_MASTER_KEY", key_hex)
        .output()
        .expect("run steward")
}

async fn customer(server: &TestServer, who: &Fixture, input: Value) -> CustomerId {
    let input: CustomerInput = serde_json::from_value(input).unwrap();
    records::create(&server.app, &who.owner, &input).await.unwrap().id
}

async fn note(server: &TestServer, who: &Fixture, customer: CustomerId, body: &str) {
    let input = steward_app::customers::notes::NoteInput { body: body.into(), private: false };
    steward_app::customers::notes::add(&server.app, &who.owner, customer, &input).await.unwrap();
}

/// The audit events of a tenant with this action, as (actor_type, details).
async fn events(server: &TestServer, tenant: TenantId, action: &str) -> Vec<(String, Value)> {
    steward_app::audit::sealer::seal_now(&server.app, tenant).await.unwrap();
    let mut tx = server.store.begin_tenant_read(tenant).await.unwrap();
    let all = steward_store::audit::read_after(&mut tx, 0, 10_000).await.unwrap();
    tx.commit().await.unwrap();
    all.into_iter()
        .filter(|stored| stored.event.action == action)
        .map(|stored| (stored.event.actor_type.clone(), serde_json::from_str(&stored.event.details).unwrap()))
        .collect()
}

/// The stored entries of a ZIP as Steward writes it (no compression), by name.
fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut at = 0;
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]) as usize;
    while at + 30 <= bytes.len() && u32_at(at) == 0x0403_4b50 {
        let (size, name_len, extra_len) = (u32_at(at + 18), u16_at(at + 26), u16_at(at + 28));
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let start = at + 30 + name_len + extra_len;
        out.insert(name, bytes[start..start + size].to_vec());
        at = start + size;
    }
    out
}

#[tokio::test]
async fn dsar_export_finds_the_person_by_email_or_phone_and_writes_the_members_archive_audited_as_support() {
    // promise: DSR-1
    // promise: DSR-2
    // promise: SEC-3
    let key = new_key_hex();
    let server = server_with_key(&key).await;
    let shop = server.tenant("dsar-shop").await;
    allergies_field(&server, &shop).await;
    let person = customer(
        &server,
        &shop,
        json!({ "name": "Wilhelmina Quarrington", "email": "Wilhelmina.Q@dsar.example", "phone": "+91 98450 11223",
                "tags": ["vip"], "fields": { "Allergies": "latex" } }),
    )
    .await;
    note(&server, &shop, person, "prefers mornings").await;
    // Two customers share a number: a phone that names two people proves neither.
    customer(&server, &shop, json!({ "name": "Twin One", "phone": "+91 90000 22222" })).await;
    customer(&server, &shop, json!({ "name": "Twin Two", "phone": "+91 90000 22222" })).await;

    // What the business's privacy manager downloads for the same person.
    let request = steward_app::privacy::requests::open_for_customer(&server.app, &shop.owner, person, "access", "")
        .await
        .unwrap();
    let archive = steward_app::privacy::person::archive_for(&server.app, &shop.owner, request.id).await.unwrap();
    let archived: BTreeMap<String, Value> = unzip(&archive)
        .into_iter()
        .filter_map(|(name, bytes)| {
            name.strip_suffix(".json").map(|table| (table.to_string(), serde_json::from_slice(&bytes).unwrap()))
        })
        .collect();
    assert!(archived.len() >= 8, "{:?}", archived.keys());

    // By email, typed in another case, into a file only the operator can read.
    let out_dir = ScratchDir::new("dsar-out");
    let file = out_dir.0.join("export.json");
    let file_arg = file.to_string_lossy().to_string();
    let exported = run(
        &server,
        &key,
        &["dsar", "export", "--tenant", "dsar-shop", "--email", "wilhelmina.q@DSAR.example", "--out", &file_arg],
    );
    assert!(exported.status.success(), "{}", text(&exported.stderr));
    let console = format!("{}{}", text(&exported.stdout), text(&exported.stderr)).to_lowercase();
    assert!(console.contains(&person.as_uuid().to_string()), "{console}");
    for personal in ["wilhelmina", "quarrington", "latex", "98450"] {
        assert!(!console.contains(personal), "the console shows '{personal}': {console}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let document: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["customer_id"], json!(person));
    assert_eq!(document["business"], "Business dsar-shop");
    let records: BTreeMap<String, Value> =
        document["records"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    // The privacy request the manager opened is in both, the same; its words too.
    assert_eq!(records, archived, "the export is the member's archive, record for record");
    let whole = document.to_string();
    assert!(whole.contains("latex") && whole.contains("prefers mornings") && whole.contains("vip"), "{whole}");

    // By phone, written another way; to standard output; the same records.
    let by_phone = run(&server, &key, &["dsar", "export", "--tenant", "dsar-shop", "--phone", "98450-11223"]);
    assert!(by_phone.status.success(), "{}", text(&by_phone.stderr));
    let again: Value = serde_json::from_slice(&by_phone.stdout).unwrap();
    assert_eq!(again["records"], document["records"]);

    // An existing file is never overwritten.
    let refused = run(
        &server,
        &key,
        &["dsar", "export", "--tenant", "dsar-shop", "--customer", &person.as_uuid().to_string(), "--out", &file_arg],
    );
    assert!(!refused.status.success());
    assert!(text(&refused.stderr).contains("already exists"), "{}", text(&refused.stderr));

    // No match and several matches are named, without echoing what was typed.
    let shared = run(&server, &key, &["dsar", "export", "--tenant", "dsar-shop", "--phone", "+91 90000 22222"]);
    let said = text(&shared.stderr);
    assert!(!shared.status.success());
    assert!(
        said.contains("2 customers of this business have that phone number") && said.contains("--customer"),
        "{said}"
    );
    assert!(!said.contains("90000"), "{said}");
    assert!(shared.stdout.is_empty(), "nothing is exported on a refusal");
    let nobody = run(&server, &key, &["dsar", "export", "--tenant", "dsar-shop", "--email", "nobody@dsar.example"]);
    assert!(text(&nobody.stderr).contains("no customer of this business has that email address"));
    let bad_id = run(&server, &key, &["dsar", "export", "--tenant", "dsar-shop", "--customer", "12"]);
    assert!(text(&bad_id.stderr).contains("customer: is not a customer id"), "{}", text(&bad_id.stderr));
    let no_tenant = run(&server, &key, &["dsar", "export", "--tenant", "nowhere", "--customer", "12"]);
    assert!(text(&no_tenant.stderr).contains("no tenant has the slug 'nowhere'"));
    let two_ways = run(&server, &key, &["dsar", "export", "--tenant", "dsar-shop", "--customer", "1", "--phone", "2"]);
    assert!(!two_ways.status.success() && text(&two_ways.stderr).contains("cannot be used with"));

    // Each export is in the business's audit log, by support, with no personal value.
    let logged = events(&server, shop.tenant, "privacy.person_exported").await;
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(logged.iter().all(|(actor, _)| actor == "support"), "{logged:?}");
}

#[tokio::test]
async fn dsar_erase_waits_for_a_legal_hold_can_be_dry_run_and_erases_everywhere_audited_as_support() {
    // promise: DSR-1
    // promise: DSR-3
    // promise: RET-1
    // promise: SEC-3
    let key = new_key_hex();
    let server = server_with_key(&key).await;
    let shop = server.tenant("erase-shop").await;
    allergies_field(&server, &shop).await;
    let person = customer(
        &server,
        &shop,
        json!({ "name": "Cornelius Abernathy", "email": "cornelius@erase.example", "phone": "+91 98111 44556",
                "tags": ["regular"], "fields": { "Allergies": "peanuts" } }),
    )
    .await;
    note(&server, &shop, person, "asked about parking").await;
    // Another business's customer with the same email and phone is not touched.
    let other = server.tenant("erase-other").await;
    let bystander = customer(
        &server,
        &other,
        json!({ "name": "Same Contact", "email": "cornelius@erase.example",
                                           "phone": "+91 98111 44556" }),
    )
    .await;
    let id = person.as_uuid().to_string();
    let erase = |extra: &[&str]| {
        let mut args = vec!["dsar", "erase", "--tenant", "erase-shop", "--reason", "ticket 4411 from the owner"];
        args.extend_from_slice(extra);
        run(&server, &key, &args)
    };

    // A legal hold on the person refuses the erasure and changes nothing.
    let hold = holds::set(
        &server.app,
        shop.tenant,
        Actor::Operator,
        holds::NewHold {
            scope: "customer".into(),
            customer_id: Some(id.clone()),
            data_class: None,
            reason: "case 2027-14".into(),
        },
    )
    .await
    .unwrap();
    let held = erase(&["--email", "cornelius@erase.example"]);
    assert!(!held.status.success());
    assert!(text(&held.stderr).contains("a legal hold is in force"), "{}", text(&held.stderr));
    holds::lift(&server.app, shop.tenant, Actor::Operator, hold.id, "case closed").await.unwrap();

    // A dry run reports what it would do and changes nothing.
    let dry = erase(&["--customer", &id, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry.stderr));
    let said = text(&dry.stdout);
    assert!(said.contains("dry run: nothing changed") && said.contains("would be deleted"), "{said}");
    assert!(said.contains("customer_notes") && said.contains("their key would be destroyed"), "{said}");
    let detail = records::get(&server.app, &shop.owner, person).await.unwrap();
    assert_eq!(detail.fields.iter().find(|f| f.label == "Allergies").unwrap().value.as_deref(), Some("peanuts"));

    // The reason is required.
    let no_reason = run(&server, &key, &["dsar", "erase", "--tenant", "erase-shop", "--customer", &id]);
    assert!(!no_reason.status.success() && text(&no_reason.stderr).contains("--reason"));

    // The erasure, by phone.
    let done = erase(&["--phone", "+91 98111 44556"]);
    assert!(done.status.success(), "{}", text(&done.stderr));
    let said = text(&done.stdout);
    assert!(said.contains("their key is destroyed") && said.contains("deleted"), "{said}");
    for personal in ["cornelius", "abernathy", "peanuts", "98111"] {
        assert!(!said.to_lowercase().contains(personal), "the console shows '{personal}': {said}");
    }
    let mut tx = server.store.begin_tenant_read(shop.tenant).await.unwrap();
    assert!(steward_store::customers::records::find(&mut tx, person).await.unwrap().is_none());
    assert!(steward_store::keystore::subject_key(&mut tx, person.as_uuid()).await.unwrap().is_none());
    for table in steward_store::privacy::person::PERSON_TABLES {
        let left = steward_store::privacy::person::count(&mut tx, table, person.as_uuid()).await.unwrap();
        assert_eq!(left, 0, "{} still holds the person", table.table);
    }
    tx.commit().await.unwrap();
    let gone = erase(&["--email", "cornelius@erase.example"]);
    assert!(text(&gone.stderr).contains("no customer of this business has that email address"));
    let other_owner = other.owner.clone();
    assert!(records::get(&server.app, &other_owner, bystander).await.is_ok(), "another business's customer stays");

    // In the business's audit log: by support, with the operator's reason, no personal value.
    let logged = events(&server, shop.tenant, "privacy.person_erased").await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    let (actor, details) = &logged[0];
    assert_eq!(actor, "support");
    assert_eq!(details["reason"], "ticket 4411 from the owner");
    assert_eq!(details["key_destroyed"], true);
    let all = format!("{details}").to_lowercase();
    assert!(!all.contains("cornelius") && !all.contains("98111"), "{all}");
}

/// The Allergies value of a customer as an app holding `key` reads it (a fresh key ring,
/// so nothing unwrapped earlier helps), or `None` if it does not open.
async fn allergy_with(
    server: &TestServer,
    store: &steward_store::Store,
    key: &str,
    who: &Fixture,
    id: CustomerId,
) -> Option<String> {
    let app = App {
        store: store.clone(),
        keys: Default::default(),
        master_key: std::sync::Arc::new(MasterKey::from_hex(key).unwrap()),
        ..server.app.clone()
    };
    let detail = records::get(&app, &who.owner, id).await.ok()?;
    detail.fields.iter().find(|f| f.label == "Allergies").and_then(|f| f.value.clone())
}

/// Whether `key` unwraps the tenant's stored key, tried directly (no fingerprint check).
async fn unwraps(store: &steward_store::Store, key: &str, tenant: TenantId) -> bool {
    use secrecy::ExposeSecret;
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let stored = steward_store::keystore::tenant_key(&mut tx).await.unwrap().unwrap();
    tx.commit().await.unwrap();
    let wrapping = MasterKey::from_hex(key).unwrap().derive("tenant-key-wrap");
    let context = steward_crypto::seal::field_context(
        &tenant.to_string(),
        "keystore.tenant_keys",
        "wrapped",
        &tenant.to_string(),
        1,
    );
    steward_crypto::seal::open(wrapping.expose_secret(), &context, &stored.key.wrapped).is_ok()
}

#[tokio::test]
async fn keys_rotate_stopped_half_way_is_finished_by_a_second_run_and_the_old_key_then_opens_nothing() {
    // promise: CRM-2
    // promise: RET-5
    // promise: SEC-3
    let old = new_key_hex();
    let server = server_with_key(&old).await;
    let mut shops = Vec::new();
    for (slug, allergy) in [("rot-a", "penicillin"), ("rot-b", "shellfish"), ("rot-c", "pollen")] {
        let shop = server.tenant(slug).await;
        allergies_field(&server, &shop).await;
        let id = customer(&server, &shop, json!({ "name": "Sealed Person", "fields": { "Allergies": allergy } })).await;
        shops.push((shop, id, allergy));
    }
    // rot-a removed old audit events under a checkpoint signed with the old key; rot-b holds
    // a checkpoint nobody here signed, which verify must keep naming.
    let at = server.app.now();
    let checkpoint =
        |signature: Vec<u8>| steward_store::audit::Checkpoint { seq: 0, hash: vec![0; 32], removed: 0, at, signature };
    for (index, signature) in [
        (0, steward_app::audit::checkpoint_signature(&server.app, shops[0].0.tenant, &checkpoint(vec![]))),
        (1, vec![7; 32]),
    ] {
        let mut tx = server.store.begin_tenant(shops[index].0.tenant).await.unwrap();
        steward_store::audit::insert_checkpoint(&mut tx, &checkpoint(signature)).await.unwrap();
        tx.commit().await.unwrap();
    }
    let before = steward_app::audit::verify_tenant(&server.app, shops[0].0.tenant).await.unwrap();
    assert!(before.intact, "{before:?}");

    // A backup before the rotation (SQLite's `steward backup`; PostgreSQL uses pg_dump).
    let backups = ScratchDir::new("rotate-backups");
    let (data_dir, keys_dir) = (backups.0.join("data"), backups.0.join("keys"));
    let backup = |now: &str| {
        let out = run(
            &server,
            &old,
            &["backup", "--to", &data_dir.to_string_lossy(), "--keys-to", &keys_dir.to_string_lossy(), "--now", now],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    let sqlite = !crate::harness::suite_on_postgres();
    if sqlite {
        backup("2027-03-01T10:00:00Z");
    }

    let key_dir = ScratchDir::new("rotate-key");
    let new_file = key_dir.0.join("master.key.new");
    let new_arg = new_file.to_string_lossy().to_string();
    // Refused: no current key to rotate from; the new key equal to the old one.
    let no_old = steward()
        .args(["--database-url", &server.cli_database_url(), "--data-dir", &key_dir.0.to_string_lossy()])
        .args(["keys", "rotate", "--new-master-key", &new_arg])
        .output()
        .unwrap();
    assert!(!no_old.status.success() && text(&no_old.stderr).contains("does not exist"), "{}", text(&no_old.stderr));
    assert!(!new_file.exists(), "nothing was created for a refused rotation");

    // Stopped after one tenant key, as a rotation killed half-way would be.
    let first = run(&server, &old, &["keys", "rotate", "--new-master-key", &new_arg, "--limit", "1"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let said = text(&first.stdout);
    assert!(said.contains("created a new master key") && said.contains("Run the same command again"), "{said}");
    let new = std::fs::read_to_string(&new_file).unwrap().trim().to_string();
    let moved: Vec<bool> = {
        let mut out = Vec::new();
        for (shop, _, _) in &shops {
            out.push(unwraps(&server.store, &new, shop.tenant).await);
        }
        out
    };
    assert_eq!(moved.iter().filter(|m| **m).count(), 1, "exactly one tenant key moved: {moved:?}");
    for ((shop, _, _), moved) in shops.iter().zip(&moved) {
        assert_eq!(unwraps(&server.store, &old, shop.tenant).await, !moved, "each key is under exactly one master key");
    }
    let same = run(&server, &new, &["keys", "rotate", "--new-master-key", &new_arg]);
    assert!(text(&same.stderr).contains("the new master key is the one in use"), "{}", text(&same.stderr));

    // The second run finishes: only what is left, and the checkpoints with their keys.
    let second = run(&server, &old, &["keys", "rotate", "--new-master-key", &new_arg]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    let said = text(&second.stdout);
    assert!(said.contains("2 tenant keys re-wrapped now, 1 already under the new key"), "{said}");
    let first_said = text(&first.stdout);
    assert_eq!(
        [&first_said, &said].iter().filter(|s| s.contains("1 audit checkpoints signed again")).count(),
        1,
        "the checkpoint moved with its tenant's key, once: {first_said}\n{said}"
    );
    assert!(said.contains("signed by neither key"), "{said}");
    assert!(said.contains("every tenant key is now wrapped by master key") && said.contains("shred"), "{said}");
    assert!(!said.contains(&old) && !said.contains(&new), "no key is ever printed");

    // Every sealed value opens with the new key; the old key opens no tenant key.
    for (shop, id, allergy) in &shops {
        assert_eq!(allergy_with(&server, &server.store, &new, shop, *id).await.as_deref(), Some(*allergy));
        assert!(!unwraps(&server.store, &old, shop.tenant).await, "the old key still opens {}", shop.slug);
        assert_eq!(allergy_with(&server, &server.store, &old, shop, *id).await, None);
    }
    let rotated_app = App {
        keys: Default::default(),
        master_key: std::sync::Arc::new(MasterKey::from_hex(&new).unwrap()),
        ..server.app.clone()
    };
    let a = steward_app::audit::verify_tenant(&rotated_app, shops[0].0.tenant).await.unwrap();
    assert!(a.intact, "the checkpoint was signed again under the new key: {a:?}");
    let b = steward_app::audit::verify_tenant(&rotated_app, shops[1].0.tenant).await.unwrap();
    assert!(!b.intact && b.first_break.as_deref().is_some_and(|s| s.contains("not signed")), "{b:?}");
    let logged = events(&server, shops[0].0.tenant, "master_key.rotated").await;
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].0, "support");

    // A third run has nothing left to do.
    let third = run(&server, &old, &["keys", "rotate", "--new-master-key", &new_arg]);
    assert!(text(&third.stdout).contains("0 tenant keys re-wrapped now, 3 already under the new key"));

    if sqlite {
        // The data backup from before the rotation, restored with the key store as it is
        // now: it opens with the new master key, and not with the old one.
        backup("2027-03-01T11:00:00Z");
        let mut data_files: Vec<_> = std::fs::read_dir(&data_dir).unwrap().flatten().map(|e| e.path()).collect();
        let mut key_files: Vec<_> = std::fs::read_dir(&keys_dir).unwrap().flatten().map(|e| e.path()).collect();
        data_files.sort();
        key_files.sort();
        let restored = ScratchDir::new("rotate-restored");
        let restored_url = format!("sqlite://{}", restored.0.join("steward.db").display());
        let done = steward()
            .args(["--database-url", &restored_url, "restore", "--from", &data_files[0].to_string_lossy()])
            .args(["--keys", &key_files[1].to_string_lossy()])
            .env("STEWARD_MASTER_KEY", &new)
            .output()
            .unwrap();
        assert!(done.status.success(), "{}", text(&done.stderr));
        let store = steward_store::Store::open(&restored_url, 2).await.unwrap();
        for (shop, id, allergy) in &shops {
            assert_eq!(allergy_with(&server, &store, &new, shop, *id).await.as_deref(), Some(*allergy));
            assert_eq!(allergy_with(&server, &store, &old, shop, *id).await, None);
        }
        store.close().await;
    }
}
