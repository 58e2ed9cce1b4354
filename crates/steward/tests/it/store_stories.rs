//! Store stories: the store's own functions, called directly, told as the same story on
//! both backends.
//!
//! Every other test reaches the store through HTTP, so a query that is right on one
//! backend and wrong on the other shows up, if at all, as a page that looks odd. Here each
//! story is one async function that takes a [`Store`], sets up what it needs with the
//! store's own functions (a tenant is its `tenants` row and its audit chain, written as
//! the app writes them), and asserts the values the store hands back. The
//! `on_both_backends!` macro turns each story into two tests: `<story>_on_sqlite` on a
//! fresh SQLite file (always), and `<story>_on_postgres` on a fresh PostgreSQL database
//! as the non-superuser runtime role, under row-level security (skipped without
//! `STEWARD_TEST_POSTGRES_ADMIN_URL` or `STEWARD_TEST_DATABASE_URL`, a failure under CI).
//! The model is Atuin's `tests-database`: one body of assertions, every backend.
//!
//! Instants are fixed microseconds, never the clock, so a story's values (and the audit
//! chain's hashes) are the same on every run. Only ids come from `generate()`; where their
//! order matters the expectation is sorted by id too.
//!
//! Run: `cargo nextest run -p steward --test it store_stories` (PostgreSQL at
//! `STEWARD_TEST_POSTGRES_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres`).

use crate::harness::{TestDb, postgres_admin_url, skip_or_fail};
use steward_domain::audit::{ChainVerifier, GENESIS};
use steward_domain::booking::Status;
use steward_domain::customers::search::{SearchQuery, name_key, terms};
use steward_domain::ids::{AppointmentId, CustomerId, LocationId, ServiceId, StaffId, TenantId};
use steward_domain::time::Timestamp;
use steward_store::audit::{self, AuditFilter, Checkpoint, NewAuditEvent};
use steward_store::booking::appointments::{self, LONGEST_BLOCK, NewAppointment};
use steward_store::booking::setup::{
    self, AppointmentsWindow, HoursRow, LocationRow, ScheduleQuery, ServiceRow, StaffRow,
};
use steward_store::customers::records::{
    self, After, CustomerRow, CustomerValues, ListQuery, NewCustomer, SortOrder, TermGroup,
};
use steward_store::keystore::{self, WrappedKey};
use steward_store::retention::sweep::{self, Kind};
use steward_store::tenancy::tenants::{self, TenantRow};
use steward_store::{Micros, Store, StoreError, StoreKind, args};
use uuid::Uuid;

/// Monday 2027-01-04, 00:00 in Asia/Kolkata: the day every story happens on.
const DAY: Micros = 1_799_001_000_000_000;
const MINUTE: Micros = 60_000_000;
const HOUR: Micros = 60 * MINUTE;
/// When rows are first written, and when they are changed.
const T0: Micros = DAY - 24 * HOUR;
const T1: Micros = T0 + HOUR;
/// The businesses' calling code, as the search terms are built with it.
const CALLING_CODE: &str = "+91";

macro_rules! on_both_backends {
    ($($story:ident => $on_sqlite:ident, $on_postgres:ident;)+) => {$(
        #[tokio::test]
        async fn $on_sqlite() {
            let (_db, store) = TestDb::sqlite().await;
            assert_eq!(store.kind(), StoreKind::Sqlite);
            $story(&store).await;
            store.close().await;
        }

        #[tokio::test]
        async fn $on_postgres() {
            if postgres_admin_url().is_none() {
                skip_or_fail("PostgreSQL (STEWARD_TEST_POSTGRES_ADMIN_URL)");
                return;
            }
            let (_db, store) = TestDb::fresh(true).await;
            assert_eq!(store.kind(), StoreKind::Postgres);
            $story(&store).await;
            store.close().await;
        }
    )+};
}

on_both_backends! {
    tenancy_story => tenancy_on_sqlite, tenancy_on_postgres;
    customers_story => customers_on_sqlite, customers_on_postgres;
    booking_story => booking_on_sqlite, booking_on_postgres;
    audit_story => audit_on_sqlite, audit_on_postgres;
    keystore_story => keystore_on_sqlite, keystore_on_postgres;
}

// ---------------------------------------------------------------------------------------
// Shared set-up

fn tenant_row(id: TenantId, slug: &str) -> TenantRow {
    TenantRow {
        id,
        slug: slug.into(),
        name: format!("Business {slug}"),
        country: "IN".into(),
        time_zone: "Asia/Kolkata".into(),
        gstin: None,
        status: steward_domain::retention::Stage::Active,
        created_at: T0,
    }
}

/// A business as sign-up writes it, minus its roles and owner (no story needs them): the
/// `tenants` row and the start of its audit chain, in the tenant's own transaction.
async fn new_tenant(store: &Store, slug: &str) -> TenantId {
    let id = TenantId::generate();
    let mut tx = store.begin_tenant(id).await.unwrap();
    tenants::insert(&mut tx, &tenant_row(id, slug)).await.unwrap();
    audit::start_chain(&mut tx).await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// One SQL count in the tenant's own transaction, for what no store function reads back
/// (rows left behind).
async fn count_rows(store: &Store, tenant: TenantId, sql: &'static str, args: Vec<steward_store::Value>) -> i64 {
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let n: i64 = tx.fetch_one(sql, args).await.unwrap().get("n").unwrap();
    tx.commit().await.unwrap();
    n
}

// ---------------------------------------------------------------------------------------
// Tenancy

async fn tenancy_story(store: &Store) {
    let first = new_tenant(store, "kavya-salon").await;
    let second = new_tenant(store, "arjun-spa").await;

    let mut tx = store.begin_tenant_read(first).await.unwrap();
    assert_eq!(tenants::current(&mut tx).await.unwrap(), tenant_row(first, "kavya-salon"));
    assert_eq!(tenants::privacy_jurisdiction(&mut tx).await.unwrap(), "dpdp", "the column's default");
    tx.commit().await.unwrap();

    // Sign-up turns this error into "that address is taken": it must name the slug on both.
    let third = TenantId::generate();
    let mut tx = store.begin_tenant(third).await.unwrap();
    let taken = tenants::insert(&mut tx, &tenant_row(third, "kavya-salon")).await.unwrap_err();
    assert!(taken.is_duplicate_of("slug"), "a duplicate slug is reported as one: {taken:?}");
    drop(tx);

    let mut tx = store.begin_tenant(second).await.unwrap();
    tenants::update_profile(
        &mut tx,
        "Arjun Wellness",
        "arjun-wellness",
        "IN",
        "Asia/Kolkata",
        Some("29ABCDE1234F1Z5"),
        T1,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let mut platform = store.begin_platform().await.unwrap();
    let found = tenants::find_by_slug(&mut platform, "arjun-wellness").await.unwrap().expect("found by its new slug");
    assert_eq!(
        (found.id, found.name.as_str(), found.gstin.as_deref()),
        (second, "Arjun Wellness", Some("29ABCDE1234F1Z5"))
    );
    assert!(tenants::find_by_slug(&mut platform, "arjun-spa").await.unwrap().is_none(), "the old slug is free");
    let slugs: Vec<String> = tenants::list(&mut platform).await.unwrap().into_iter().map(|t| t.slug).collect();
    assert_eq!(slugs, ["arjun-wellness", "kavya-salon"], "the refused third business left no row");
    platform.commit().await.unwrap();

    // Another tenant's transaction cannot change the first one's row: `id = $1` is its own.
    let mut tx = store.begin_tenant(second).await.unwrap();
    tenants::set_privacy_jurisdiction(&mut tx, "gdpr", T1).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_tenant_read(first).await.unwrap();
    assert_eq!(tenants::privacy_jurisdiction(&mut tx).await.unwrap(), "dpdp");
    tx.commit().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Customers

/// A generated customer: made-up names, reserved example domains, numbers of no one.
struct Person {
    name: &'static str,
    phone: Option<&'static str>,
    email: Option<&'static str>,
    tags: &'static [&'static str],
}

/// Inserted in this order, which is neither name order nor reverse.
const PEOPLE: [Person; 7] = [
    Person { name: "Priya Sharma", phone: Some("+919822200002"), email: Some("priya@example.in"), tags: &["vip"] },
    Person { name: "Zoë Fernandes", phone: Some("+919812345678"), email: Some("Zoe@Example.in"), tags: &[] },
    Person { name: "Asha Verma", phone: Some("+919811100001"), email: None, tags: &["vip", "regular"] },
    Person { name: "Dev Malhotra", phone: Some("+919833300003"), email: Some("dev@example.in"), tags: &[] },
    Person { name: "Bharat Iyer", phone: Some("+14155550100"), email: None, tags: &["regular"] },
    Person { name: "Priyanka Rao", phone: None, email: Some("priyanka@example.in"), tags: &[] },
    Person { name: "Chitra Nair", phone: None, email: None, tags: &["vip"] },
];

fn values_of(name: &str, phone: Option<&str>, email: Option<&str>) -> CustomerValues {
    CustomerValues {
        name: name.into(),
        name_key: name_key(name),
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
        address: None,
        date_of_birth: None,
        source: "manual".into(),
        preferred_channel: None,
    }
}

fn terms_of(values: &CustomerValues, tags: &[String]) -> Vec<String> {
    terms(&values.name, values.email.as_deref(), values.phone.as_deref(), CALLING_CODE, tags)
}

fn new_customer(person: &Person) -> NewCustomer {
    let values = values_of(person.name, person.phone, person.email);
    let tags: Vec<String> = person.tags.iter().map(|t| t.to_string()).collect();
    NewCustomer { id: CustomerId::generate(), terms: terms_of(&values, &tags), values, tags, created_by: None }
}

/// The row `find` must return for a customer inserted at `T0` and never visited.
fn expected_row(customer: &NewCustomer) -> CustomerRow {
    let v = &customer.values;
    CustomerRow {
        id: customer.id,
        name: v.name.clone(),
        name_key: v.name_key.clone(),
        phone: v.phone.clone(),
        email: v.email.clone(),
        address: v.address.clone(),
        date_of_birth: v.date_of_birth.clone(),
        source: v.source.clone(),
        preferred_channel: v.preferred_channel.clone(),
        last_visit_at: None,
        created_at: T0,
        updated_at: T0,
    }
}

/// What typing `typed` into the search box asks of the store.
fn groups(typed: &str) -> Vec<TermGroup> {
    SearchQuery::parse(typed, CALLING_CODE)
        .groups
        .into_iter()
        .map(|group| group.into_iter().map(|range| (range.start, range.end)).collect())
        .collect()
}

/// Every page of a listing, `per_page` at a time, following the keyset; returns the names
/// and how many pages it took.
async fn all_pages(
    store: &Store,
    tenant: TenantId,
    groups: Vec<TermGroup>,
    sort: SortOrder,
    per_page: i64,
) -> (Vec<String>, usize) {
    let mut names = Vec::new();
    let mut after: Option<After> = None;
    let mut pages = 0;
    loop {
        let mut tx = store.begin_tenant_search(tenant).await.unwrap();
        let query = ListQuery { groups: groups.clone(), tag: None, field: None, sort, after, limit: per_page };
        let (page, next) = records::list(&mut tx, &query).await.unwrap();
        tx.commit().await.unwrap();
        pages += 1;
        assert!(page.len() as i64 <= per_page, "a page holds at most its limit");
        names.extend(page.into_iter().map(|c| c.name));
        match next {
            Some(next) => after = Some(next),
            None => return (names, pages),
        }
        assert!(pages < 20, "the keyset must move forward");
    }
}

/// The names a search finds, in name order.
async fn search(store: &Store, tenant: TenantId, typed: &str) -> Vec<String> {
    all_pages(store, tenant, groups(typed), SortOrder::Name, 2).await.0
}

async fn find_customer(store: &Store, tenant: TenantId, id: CustomerId) -> Option<CustomerRow> {
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let found = records::find(&mut tx, id).await.unwrap();
    tx.commit().await.unwrap();
    found
}

async fn term_rows_stored(store: &Store, tenant: TenantId, id: CustomerId) -> i64 {
    count_rows(
        store,
        tenant,
        "SELECT COUNT(*) AS n FROM customer_search_terms WHERE tenant_id = $1 AND customer_id = $2",
        args![id],
    )
    .await
}

async fn customers_story(store: &Store) {
    let shop = new_tenant(store, "customers-a").await;
    let other = new_tenant(store, "customers-b").await;
    let people: Vec<NewCustomer> = PEOPLE.iter().map(new_customer).collect();
    let (priya, zoe, asha, bharat, chitra) = (&people[0], &people[1], &people[2], &people[4], &people[6]);

    let mut tx = store.begin_tenant(shop).await.unwrap();
    records::insert_many(&mut tx, &people, T0).await.unwrap();
    tx.commit().await.unwrap();
    // The other business has a Priya too, with the same address: nothing below may find her.
    let elsewhere = new_customer(&Person {
        name: "Priya Menon",
        phone: Some("+919822200002"),
        email: Some("priya@example.in"),
        tags: &["vip"],
    });
    let mut tx = store.begin_tenant(other).await.unwrap();
    records::insert_many(&mut tx, std::slice::from_ref(&elsewhere), T0).await.unwrap();
    tx.commit().await.unwrap();

    // Found by id, every column as written.
    for person in &people {
        assert_eq!(find_customer(store, shop, person.id).await, Some(expected_row(person)));
        assert_eq!(term_rows_stored(store, shop, person.id).await, person.terms.len() as i64, "{}", person.values.name);
    }
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    assert_eq!(records::count(&mut tx).await.unwrap(), 7);
    assert_eq!(records::tags_of(&mut tx, asha.id).await.unwrap(), ["regular", "vip"], "tags in order");
    let ids = [asha.id, zoe.id, CustomerId::generate()];
    let mut many: Vec<String> = records::find_many(&mut tx, &ids).await.unwrap().into_iter().map(|c| c.name).collect();
    many.sort();
    assert_eq!(many, ["Asha Verma", "Zoë Fernandes"], "a missing id is left out");
    tx.commit().await.unwrap();

    // The whole book in name order, three to a page: the keyset carries across pages.
    let name_order =
        ["Asha Verma", "Bharat Iyer", "Chitra Nair", "Dev Malhotra", "Priya Sharma", "Priyanka Rao", "Zoë Fernandes"];
    assert_eq!(
        all_pages(store, shop, Vec::new(), SortOrder::Name, 3).await,
        (name_order.map(String::from).to_vec(), 3)
    );
    assert_eq!(all_pages(store, shop, Vec::new(), SortOrder::Name, 7).await.1, 1, "an exact fit is one page");

    // Search through the terms: name prefixes (several terms, one term, two words),
    // phone digits from either end, with and without the calling code, email, tag.
    assert_eq!(search(store, shop, "pri").await, ["Priya Sharma", "Priyanka Rao"]);
    assert_eq!(search(store, shop, "SHARMA").await, ["Priya Sharma"]);
    assert_eq!(search(store, shop, "priya sh").await, ["Priya Sharma"]);
    assert_eq!(search(store, shop, "zoe").await, ["Zoë Fernandes"], "accents are folded");
    assert_eq!(search(store, shop, "98123").await, ["Zoë Fernandes"]);
    assert_eq!(search(store, shop, "+91 98111").await, ["Asha Verma"]);
    assert_eq!(search(store, shop, "5678").await, ["Zoë Fernandes"], "the last digits");
    assert_eq!(search(store, shop, "+1 415 555").await, ["Bharat Iyer"], "a foreign number keeps its code");
    assert_eq!(search(store, shop, "zoe@exa").await, ["Zoë Fernandes"], "emails are found lowercased");
    assert_eq!(search(store, shop, "#vip").await, ["Asha Verma", "Chitra Nair", "Priya Sharma"]);
    assert!(search(store, shop, "menon").await.is_empty(), "the other business's customer");
    assert!(search(store, shop, "ernandes").await.is_empty(), "terms are prefixes, not substrings");
    // A search in another order is driven from the matching terms (another statement).
    let mut vip_newest_first = [priya, asha, chitra];
    vip_newest_first.sort_by_key(|c| std::cmp::Reverse(c.id));
    let expected: Vec<String> = vip_newest_first.iter().map(|c| c.values.name.clone()).collect();
    assert_eq!(all_pages(store, shop, groups("#vip"), SortOrder::Created, 2).await, (expected, 2));

    // An update replaces the searchable values, and the term rows with them.
    let renamed = values_of("Priya Kapoor", Some("+919822299999"), Some("priya.k@example.in"));
    let renamed_tags = vec!["regular".to_string()];
    let renamed_terms = terms_of(&renamed, &renamed_tags);
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(records::update(&mut tx, priya.id, &renamed, &renamed_terms, &renamed_tags, T1).await.unwrap());
    tx.commit().await.unwrap();
    let row = find_customer(store, shop, priya.id).await.unwrap();
    assert_eq!(
        (row.name.as_str(), row.name_key.as_str(), row.phone.as_deref(), row.created_at, row.updated_at),
        ("Priya Kapoor", "priya kapoor", Some("+919822299999"), T0, T1)
    );
    assert_eq!(term_rows_stored(store, shop, priya.id).await, renamed_terms.len() as i64, "no old term is left");
    assert!(search(store, shop, "sharma").await.is_empty());
    assert!(search(store, shop, "9822200").await.is_empty(), "the old number");
    assert_eq!(search(store, shop, "kapoor").await, ["Priya Kapoor"]);
    assert_eq!(search(store, shop, "99999").await, ["Priya Kapoor"]);
    assert_eq!(search(store, shop, "pri").await, ["Priya Kapoor", "Priyanka Rao"], "sorted by the new name");
    assert_eq!(search(store, shop, "#vip").await, ["Asha Verma", "Chitra Nair"]);
    // A change to nothing searchable keeps the terms as they are.
    let moved = CustomerValues { address: Some("12 Example Road".into()), ..renamed.clone() };
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(records::update(&mut tx, priya.id, &moved, &renamed_terms, &renamed_tags, T1 + 1).await.unwrap());
    assert!(!records::update(&mut tx, CustomerId::generate(), &moved, &[], &[], T1).await.unwrap(), "no such customer");
    tx.commit().await.unwrap();
    assert_eq!(find_customer(store, shop, priya.id).await.unwrap().address.as_deref(), Some("12 Example Road"));
    assert_eq!(search(store, shop, "kapoor").await, ["Priya Kapoor"]);

    // Duplicates: the same phone number under another spelling of the name.
    let twin = new_customer(&Person { name: "Asha V", phone: Some("+919811100001"), email: None, tags: &[] });
    let mut tx = store.begin_tenant(shop).await.unwrap();
    records::insert_many(&mut tx, std::slice::from_ref(&twin), T1).await.unwrap();
    let twins: Vec<CustomerId> =
        records::duplicates_of(&mut tx, &expected_row(asha)).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(twins, [twin.id]);
    let groups_found = records::duplicate_groups(&mut tx, 10).await.unwrap();
    let mut pair = vec![asha.id, twin.id];
    pair.sort();
    assert_eq!(groups_found, [("phone".to_string(), pair)]);
    tx.commit().await.unwrap();

    // A name thirty customers share: the possible duplicates are the oldest twenty others,
    // whichever of them is asked about (the lookup is bounded, not the whole name).
    let namesakes: Vec<NewCustomer> =
        (0..30).map(|_| new_customer(&Person { name: "Ravi Kumar", phone: None, email: None, tags: &[] })).collect();
    let mut tx = store.begin_tenant(shop).await.unwrap();
    records::insert_many(&mut tx, &namesakes, T1).await.unwrap();
    for asked in [0, 4, 25] {
        let found: Vec<CustomerId> = records::duplicates_of(&mut tx, &expected_row(&namesakes[asked]))
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect();
        let oldest: Vec<CustomerId> =
            namesakes.iter().map(|c| c.id).filter(|id| *id != namesakes[asked].id).take(20).collect();
        assert_eq!(found, oldest, "asked about namesake {asked}");
    }
    for namesake in &namesakes {
        assert!(records::delete(&mut tx, namesake.id).await.unwrap());
    }
    tx.commit().await.unwrap();

    // A delete takes the customer's term rows too (they have no foreign key to cascade).
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(records::delete(&mut tx, bharat.id).await.unwrap());
    assert!(!records::delete(&mut tx, bharat.id).await.unwrap(), "deleted once");
    tx.commit().await.unwrap();
    assert_eq!(find_customer(store, shop, bharat.id).await, None);
    assert_eq!(term_rows_stored(store, shop, bharat.id).await, 0);
    assert!(search(store, shop, "bharat").await.is_empty());
    assert!(search(store, shop, "+1 415").await.is_empty());
    assert_eq!(search(store, shop, "#regular").await, ["Asha Verma", "Priya Kapoor"]);

    // The other business sees none of it, and can change none of it.
    assert_eq!(find_customer(store, other, asha.id).await, None);
    assert_eq!(all_pages(store, other, Vec::new(), SortOrder::Name, 5).await.0, ["Priya Menon"]);
    assert_eq!(search(store, other, "pri").await, ["Priya Menon"]);
    assert_eq!(search(store, other, "9822200").await, ["Priya Menon"]);
    assert!(search(store, other, "asha").await.is_empty());
    let mut tx = store.begin_tenant(other).await.unwrap();
    assert_eq!(records::count(&mut tx).await.unwrap(), 1);
    assert!(!records::update(&mut tx, asha.id, &renamed, &renamed_terms, &[], T1).await.unwrap());
    assert!(!records::delete(&mut tx, asha.id).await.unwrap());
    assert!(records::term_rows(&mut tx, asha.id).await.unwrap().is_empty());
    tx.commit().await.unwrap();
    assert_eq!(find_customer(store, shop, asha.id).await, Some(expected_row(asha)), "untouched");
    assert_eq!(term_rows_stored(store, shop, asha.id).await, asha.terms.len() as i64);
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    assert_eq!(records::count(&mut tx).await.unwrap(), 7, "seven, less Bharat, plus the twin");
    assert_eq!(records::term_rows(&mut tx, asha.id).await.unwrap().len(), asha.terms.len());
    tx.commit().await.unwrap();
}

// ---------------------------------------------------------------------------------------
// Booking

/// `DAY` and the day after it, as the booking functions take instants.
const DAY_START: Timestamp = Timestamp::from_micros(DAY);
const DAY_END: Timestamp = Timestamp::from_micros(DAY + 24 * HOUR);
/// `T0` and `T1` as instants.
const WRITTEN: Timestamp = Timestamp::from_micros(T0);
const CHANGED: Timestamp = Timestamp::from_micros(T1);

fn at(hour: i64, minute: i64) -> Timestamp {
    Timestamp::from_micros(DAY + hour * HOUR + minute * MINUTE)
}

/// A 45-minute haircut with a 15-minute buffer after it.
fn haircut(
    customer: CustomerId,
    service: ServiceId,
    staff: StaffId,
    location: LocationId,
    starts_at: Timestamp,
) -> NewAppointment {
    NewAppointment {
        id: AppointmentId::generate(),
        customer_id: customer,
        service_id: service,
        staff_id: staff,
        location_id: location,
        starts_at,
        ends_at: starts_at + 45 * MINUTE,
        blocked_from: starts_at,
        blocked_until: starts_at + 60 * MINUTE,
        price_paise: 50_000,
        gst_rate_bp: 1_800,
        notes: None,
        series_id: None,
        booked_via: "staff",
        created_by: None,
    }
}

fn service_row(name: &str, duration_minutes: i64, buffer_after_minutes: i64) -> ServiceRow {
    ServiceRow {
        id: ServiceId::generate(),
        name: name.into(),
        description: None,
        duration_minutes,
        buffer_before_minutes: 0,
        buffer_after_minutes,
        slot_interval_minutes: 15,
        min_notice_minutes: 60,
        horizon_days: 60,
        price_paise: 50_000,
        gst_rate_bp: 1_800,
        sac_code: Some("999721".into()),
        active: true,
        created_at: WRITTEN,
        updated_at: WRITTEN,
    }
}

fn staff_row(name: &str) -> StaffRow {
    StaffRow {
        id: StaffId::generate(),
        name: name.into(),
        member_id: None,
        active: true,
        has_feed: false,
        busy_version: 0,
        created_at: WRITTEN,
        updated_at: WRITTEN,
    }
}

async fn busy_version(store: &Store, tenant: TenantId, staff: StaffId) -> i64 {
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let version = setup::find_staff(&mut tx, staff).await.unwrap().unwrap().busy_version;
    tx.commit().await.unwrap();
    version
}

/// A staff member's busy time on `DAY`, sorted (the store aggregates it in no set order).
async fn busy_on_day(
    store: &Store,
    tenant: TenantId,
    staff: Option<StaffId>,
    except: Option<AppointmentId>,
) -> Vec<(StaffId, Vec<(Timestamp, Timestamp)>)> {
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let mut busy = appointments::blocked(&mut tx, staff, DAY_START, DAY_END, except).await.unwrap();
    tx.commit().await.unwrap();
    for (_, spans) in &mut busy {
        spans.sort();
    }
    busy.sort_by_key(|(staff, _)| *staff);
    busy
}

async fn booking_story(store: &Store) {
    let shop = new_tenant(store, "booking-a").await;
    let other = new_tenant(store, "booking-b").await;

    let location = |name: &str| LocationRow {
        id: LocationId::generate(),
        name: name.into(),
        address: Some("1 Example Lane".into()),
        time_zone: "Asia/Kolkata".into(),
        created_at: WRITTEN,
    };
    let (koramangala, indiranagar) = (location("Koramangala Studio"), location("Indiranagar Studio"));
    let (cut, trim) = (service_row("Haircut", 45, 15), service_row("Beard trim", 20, 0));
    let (meera, ravi) = (staff_row("Meera"), staff_row("Ravi"));
    let weekdays: Vec<HoursRow> = (1..=5)
        .map(|weekday| HoursRow {
            staff_id: meera.id,
            weekday,
            start_minute: 600,
            end_minute: 1140,
            location_id: koramangala.id,
        })
        .collect();
    let asha = new_customer(&PEOPLE[2]);
    let dev = new_customer(&PEOPLE[3]);

    let mut tx = store.begin_tenant(shop).await.unwrap();
    for l in [&koramangala, &indiranagar] {
        setup::insert_location(&mut tx, l).await.unwrap();
    }
    for s in [&cut, &trim] {
        setup::insert_service(&mut tx, s).await.unwrap();
    }
    for s in [&meera, &ravi] {
        setup::insert_staff(&mut tx, s).await.unwrap();
    }
    setup::set_service_locations(&mut tx, cut.id, &[koramangala.id, indiranagar.id]).await.unwrap();
    setup::set_service_locations(&mut tx, trim.id, &[indiranagar.id]).await.unwrap();
    setup::set_staff_services(&mut tx, meera.id, &[cut.id]).await.unwrap();
    setup::set_staff_services(&mut tx, ravi.id, &[cut.id, trim.id]).await.unwrap();
    setup::set_hours(&mut tx, meera.id, &weekdays).await.unwrap();
    let monday =
        HoursRow { staff_id: ravi.id, weekday: 1, start_minute: 720, end_minute: 1260, location_id: indiranagar.id };
    setup::set_hours(&mut tx, ravi.id, std::slice::from_ref(&monday)).await.unwrap();
    records::insert_many(&mut tx, &[asha.clone(), dev.clone()], T0).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    let locations: Vec<String> = setup::locations(&mut tx).await.unwrap().into_iter().map(|l| l.name).collect();
    assert_eq!(locations, ["Indiranagar Studio", "Koramangala Studio"]);
    let services: Vec<String> = setup::services(&mut tx).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(services, ["Beard trim", "Haircut"]);
    let (found, offered_at) = setup::find_service_with_locations(&mut tx, cut.id).await.unwrap().unwrap();
    assert_eq!(
        (
            found.duration_minutes,
            found.buffer_after_minutes,
            found.price_paise,
            found.sac_code.as_deref(),
            found.active
        ),
        (45, 15, 50_000, Some("999721"), true)
    );
    assert_eq!(offered_at.iter().map(|l| l.id).collect::<Vec<_>>(), [indiranagar.id, koramangala.id]);
    let performers = |rows: Vec<StaffRow>| rows.into_iter().map(|s| s.name).collect::<Vec<_>>();
    assert_eq!(performers(setup::performers_of(&mut tx, cut.id, None).await.unwrap()), ["Meera", "Ravi"]);
    assert_eq!(performers(setup::performers_of(&mut tx, trim.id, None).await.unwrap()), ["Ravi"]);
    assert!(setup::performers_of(&mut tx, trim.id, Some(meera.id)).await.unwrap().is_empty());
    assert_eq!(setup::hours(&mut tx, Some(meera.id)).await.unwrap(), weekdays);
    assert_eq!(setup::hours(&mut tx, Some(ravi.id)).await.unwrap(), std::slice::from_ref(&monday));
    let mut pairs = setup::staff_services(&mut tx).await.unwrap();
    pairs.sort();
    let mut expected = vec![(meera.id, cut.id), (ravi.id, cut.id), (ravi.id, trim.id)];
    expected.sort();
    assert_eq!(pairs, expected);
    tx.commit().await.unwrap();

    // Meera at 10:00, blocked until 11:00 by the buffer. An 10:50 start overlaps only
    // the buffer and is refused by the database; the transaction goes on (11:00 touches
    // 11:00 and is not an overlap; Ravi is free at 10:00).
    let first = haircut(asha.id, cut.id, meera.id, koramangala.id, at(10, 0));
    let refused = haircut(asha.id, cut.id, meera.id, koramangala.id, at(10, 50));
    let next = haircut(asha.id, cut.id, meera.id, koramangala.id, at(11, 0));
    let with_ravi = haircut(dev.id, cut.id, ravi.id, indiranagar.id, at(10, 0));
    let mut tx = store.begin_tenant(shop).await.unwrap();
    appointments::insert(&mut tx, &first, WRITTEN).await.unwrap();
    let overlap = appointments::insert(&mut tx, &refused, WRITTEN).await;
    assert!(matches!(overlap, Err(StoreError::Overlap)), "{overlap:?}");
    appointments::insert(&mut tx, &next, WRITTEN).await.unwrap();
    appointments::insert(&mut tx, &with_ravi, WRITTEN).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!((busy_version(store, shop, meera.id).await, busy_version(store, shop, ravi.id).await), (2, 1));

    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    assert!(appointments::find(&mut tx, refused.id).await.unwrap().is_none(), "the refused one left no row");
    let row = appointments::find(&mut tx, first.id).await.unwrap().unwrap();
    assert_eq!(
        (
            row.customer_name.as_str(),
            row.service_name.as_str(),
            row.staff_name.as_str(),
            row.location_name.as_str(),
            row.time_zone.as_str(),
        ),
        ("Asha Verma", "Haircut", "Meera", "Koramangala Studio", "Asia/Kolkata")
    );
    assert_eq!(
        (row.starts_at, row.ends_at, row.blocked_from, row.blocked_until, row.status, row.price_paise),
        (at(10, 0), at(10, 45), at(10, 0), at(11, 0), Status::Booked, 50_000)
    );
    assert_eq!((row.booked_via.as_str(), row.created_at, row.updated_at), ("staff", WRITTEN, WRITTEN));
    tx.commit().await.unwrap();
    assert_eq!(
        busy_on_day(store, shop, Some(meera.id), None).await,
        [(meera.id, vec![(at(10, 0), at(11, 0)), (at(11, 0), at(12, 0))])]
    );

    // Moving onto Meera's 10:00 is refused and leaves the transaction usable; moving to
    // 14:00 works.
    let mut tx = store.begin_tenant(shop).await.unwrap();
    let slot = |starts_at, ends_at, blocked_from, blocked_until| appointments::Slot {
        staff: meera.id,
        location: koramangala.id,
        starts_at,
        ends_at,
        blocked_from,
        blocked_until,
    };
    let onto =
        appointments::reschedule(&mut tx, next.id, &slot(at(10, 30), at(11, 15), at(10, 30), at(11, 30)), CHANGED)
            .await;
    assert!(matches!(onto, Err(StoreError::Overlap)), "{onto:?}");
    let later = (at(14, 0), at(14, 45), at(14, 0), at(15, 0));
    assert!(
        appointments::reschedule(&mut tx, next.id, &slot(later.0, later.1, later.2, later.3), CHANGED).await.unwrap()
    );
    // Cancelled, the 10:00 frees its time: a new booking takes it.
    assert!(
        appointments::set_status(&mut tx, first.id, Status::Cancelled, Some("asked to move".into()), CHANGED)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
    let again = haircut(dev.id, cut.id, meera.id, koramangala.id, at(10, 0));
    let mut tx = store.begin_tenant(shop).await.unwrap();
    appointments::insert(&mut tx, &again, CHANGED).await.unwrap();
    tx.commit().await.unwrap();
    // Two bookings, a move, a cancellation, a booking: five changes to Meera's time.
    assert_eq!(busy_version(store, shop, meera.id).await, 5);

    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    let moved = appointments::find(&mut tx, next.id).await.unwrap().unwrap();
    assert_eq!((moved.starts_at, moved.ends_at, moved.blocked_from, moved.blocked_until), later);
    assert_eq!(moved.updated_at, CHANGED);
    let cancelled = appointments::find(&mut tx, first.id).await.unwrap().unwrap();
    assert_eq!((cancelled.status, cancelled.cancel_reason.as_deref()), (Status::Cancelled, Some("asked to move")));
    let mut expected = vec![(at(10, 0), first.id), (at(10, 0), again.id), (later.0, next.id)];
    expected.sort();
    let ids =
        |rows: Vec<appointments::AppointmentRow>| rows.into_iter().map(|a| (a.starts_at, a.id)).collect::<Vec<_>>();
    let of_meera = appointments::in_range(&mut tx, DAY_START, DAY_END, Some(meera.id), None, 10).await.unwrap();
    assert_eq!(ids(of_meera), expected, "her day, cancelled included, by start");
    let at_indiranagar =
        appointments::in_range(&mut tx, DAY_START, DAY_END, None, Some(indiranagar.id), 10).await.unwrap();
    assert_eq!(ids(at_indiranagar), [(at(10, 0), with_ravi.id)]);
    let asha_latest_first = appointments::of_customer(&mut tx, asha.id, 10).await.unwrap();
    assert_eq!(ids(asha_latest_first), [(later.0, next.id), (at(10, 0), first.id)]);
    // What one statement answers for a booking: Meera's hours and busy time together.
    let window = AppointmentsWindow { from: DAY_START, until: DAY_END, except: None };
    let query = ScheduleQuery {
        only: Some(meera.id),
        overrides_from: "2027-01-04",
        from: DAY_START,
        until: DAY_END,
        longest_block: LONGEST_BLOCK,
        now: CHANGED,
        mine: None,
        appointments: Some(window),
    };
    let schedule = setup::schedule_rows(&mut tx, &query).await.unwrap();
    assert_eq!(schedule.hours, weekdays);
    let mut spans = schedule.appointments.unwrap();
    spans.sort();
    assert_eq!(spans, [(at(10, 0), at(11, 0)), (later.2, later.3)]);
    tx.commit().await.unwrap();

    // Busy time leaves out the cancelled one, and the one being moved when asked.
    assert_eq!(busy_on_day(store, shop, None, None).await, {
        let mut all =
            vec![(meera.id, vec![(at(10, 0), at(11, 0)), (later.2, later.3)]), (ravi.id, vec![(at(10, 0), at(11, 0))])];
        all.sort_by_key(|(staff, _)| *staff);
        all
    });
    assert_eq!(busy_on_day(store, shop, Some(meera.id), Some(again.id)).await, [(meera.id, vec![(later.2, later.3)])]);

    // Deleting a customer takes their appointments, and that too is a change of busy time.
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(records::delete(&mut tx, asha.id).await.unwrap());
    tx.commit().await.unwrap();
    assert_eq!(busy_version(store, shop, meera.id).await, 7, "two of Meera's appointments were Asha's");
    assert_eq!(busy_version(store, shop, ravi.id).await, 1);
    assert_eq!(busy_on_day(store, shop, Some(meera.id), None).await, [(meera.id, vec![(at(10, 0), at(11, 0))])]);

    // The other business sees none of it and cannot book against it.
    let mut tx = store.begin_tenant_read(other).await.unwrap();
    assert!(setup::locations(&mut tx).await.unwrap().is_empty());
    assert!(setup::find_staff(&mut tx, meera.id).await.unwrap().is_none());
    assert!(appointments::find(&mut tx, again.id).await.unwrap().is_none());
    assert!(appointments::blocked(&mut tx, None, DAY_START, DAY_END, None).await.unwrap().is_empty());
    tx.commit().await.unwrap();
    let stranger = new_customer(&PEOPLE[6]);
    let mut tx = store.begin_tenant(other).await.unwrap();
    records::insert_many(&mut tx, std::slice::from_ref(&stranger), T0).await.unwrap();
    let borrowed = haircut(stranger.id, cut.id, meera.id, koramangala.id, at(16, 0));
    let refused = appointments::insert(&mut tx, &borrowed, CHANGED).await;
    assert!(matches!(refused, Err(StoreError::MissingReference)), "{refused:?}");
    drop(tx);
    assert_eq!(busy_version(store, shop, meera.id).await, 7);
}

// ---------------------------------------------------------------------------------------
// Audit

fn event(action: &'static str, target: &str, at: Micros) -> (NewAuditEvent, Micros) {
    let new = NewAuditEvent {
        actor_type: "member",
        actor_id: Some(Uuid::from_u128(0x5eed)),
        action,
        target_type: Some("customer"),
        target_id: Some(target.into()),
        details: format!(r#"{{"fields":["{target}"]}}"#),
        request_id: Some(format!("req-{at}")),
        ip: Some("192.0.2.10".into()),
        user_agent: Some("StoryAgent/1.0".into()),
    };
    (new, at)
}

async fn append_all(store: &Store, tenant: TenantId, events: Vec<(NewAuditEvent, Micros)>, commit: bool) {
    let mut tx = store.begin_tenant(tenant).await.unwrap();
    for (new, at) in events {
        audit::append(&mut tx, new, at).await.unwrap();
    }
    if commit {
        tx.commit().await.unwrap();
    }
}

/// Seals what is committed, `at_most` per transaction, as the app's sealer does; returns
/// how many each pass sealed.
async fn seal_passes(store: &Store, tenant: TenantId, at_most: i64) -> Vec<i64> {
    let mut passes = Vec::new();
    loop {
        let mut tx = store.begin_tenant(tenant).await.unwrap();
        let sealed = audit::seal(&mut tx, at_most).await.unwrap();
        tx.commit().await.unwrap();
        passes.push(sealed);
        if sealed < at_most {
            return passes;
        }
    }
}

async fn read_log(store: &Store, tenant: TenantId, after_seq: i64) -> Vec<audit::StoredAuditEvent> {
    let mut tx = store.begin_tenant_read(tenant).await.unwrap();
    let events = audit::read_after(&mut tx, after_seq, 100).await.unwrap();
    tx.commit().await.unwrap();
    events
}

async fn audit_story(store: &Store) {
    let shop = new_tenant(store, "audit-a").await;
    let other = new_tenant(store, "audit-b").await;
    let postgres = store.kind() == StoreKind::Postgres;

    append_all(
        store,
        shop,
        vec![
            event("customer.created", "c-1", T0 + 1),
            event("customer.updated", "c-1", T0 + 2),
            event("customer.created", "c-2", T0 + 3),
        ],
        true,
    )
    .await;
    // Rolled back: the event goes with its change. (On SQLite this process's idea of the
    // head is now one ahead; the next append must notice.)
    append_all(store, shop, vec![event("customer.deleted", "c-1", T0 + 4)], false).await;
    append_all(store, shop, vec![event("member.login", "m-1", T0 + 5)], true).await;
    append_all(store, other, vec![event("customer.created", "x-1", T0 + 6)], true).await;

    // PostgreSQL numbers events after commit; until sealed they are not in the log.
    if postgres {
        assert!(read_log(store, shop, 0).await.is_empty(), "unsealed events are not read");
    }
    // One pass takes the whole backlog.
    assert_eq!(seal_passes(store, shop, 1_000).await, [if postgres { 4 } else { 0 }]);
    assert_eq!(seal_passes(store, shop, 1_000).await, [0], "nothing is sealed twice");
    assert_eq!(seal_passes(store, other, 1_000).await, [if postgres { 1 } else { 0 }]);

    let log = read_log(store, shop, 0).await;
    let actions: Vec<(i64, &str, Micros)> =
        log.iter().map(|e| (e.event.seq, e.event.action.as_str(), e.event.at)).collect();
    assert_eq!(
        actions,
        [
            (1, "customer.created", T0 + 1),
            (2, "customer.updated", T0 + 2),
            (3, "customer.created", T0 + 3),
            (4, "member.login", T0 + 5)
        ],
        "in order, without the rolled-back event"
    );
    let first = &log[0].event;
    assert_eq!(
        (first.actor_type.as_str(), first.actor_id, first.target_type.as_deref(), first.target_id.as_deref()),
        ("member", Some(Uuid::from_u128(0x5eed)), Some("customer"), Some("c-1"))
    );
    assert_eq!(
        (first.details.as_str(), first.request_id.as_deref(), first.ip.as_deref(), first.user_agent.as_deref()),
        (
            r#"{"fields":["c-1"]}"#,
            Some(format!("req-{}", T0 + 1)).as_deref(),
            Some("192.0.2.10"),
            Some("StoryAgent/1.0")
        )
    );
    // The chain links: each event follows the one before, from the genesis hash, and its
    // hash is what the verifier computes (PostgreSQL's audit_seal hashes in SQL).
    assert_eq!(log[0].prev_hash, GENESIS.to_vec());
    for pair in log.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash, "event {} follows event {}", pair[1].event.seq, pair[0].event.seq);
    }
    let mut verifier = ChainVerifier::default();
    for stored in &log {
        assert_eq!(stored.hash, stored.event.chain_hash(&stored.prev_hash).to_vec());
        verifier.check(&stored.event, &stored.prev_hash, &stored.hash).unwrap();
    }
    assert_eq!(verifier.checked, 4);

    // The other reads: a range, the viewer's filter (newest first), the login check.
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    assert_eq!(audit::last_seq(&mut tx).await.unwrap(), Some(4));
    let batch = audit::read_batch(&mut tx, 1, 3, 10).await.unwrap();
    let seqs: Vec<i64> = batch.events().unwrap().iter().map(|e| e.event.seq).collect();
    assert_eq!(seqs, [2, 3]);
    let created = AuditFilter { action: Some("customer.created".into()), ..AuditFilter::default() };
    let found: Vec<i64> = audit::recent(&mut tx, &created, 10).await.unwrap().iter().map(|e| e.event.seq).collect();
    assert_eq!(found, [3, 1]);
    let window = AuditFilter { from: Some(T0 + 2), until: Some(T0 + 5), ..AuditFilter::default() };
    let found: Vec<i64> = audit::recent(&mut tx, &window, 10).await.unwrap().iter().map(|e| e.event.seq).collect();
    assert_eq!(found, [3, 2]);
    let member = Uuid::from_u128(0x5eed);
    assert!(audit::has_login_from(&mut tx, member, Some("StoryAgent/1.0")).await.unwrap());
    assert!(!audit::has_login_from(&mut tx, member, Some("OtherAgent/2.0")).await.unwrap());
    tx.commit().await.unwrap();

    // Each business has its own chain, from its own genesis.
    let theirs = read_log(store, other, 0).await;
    assert_eq!(
        theirs.iter().map(|e| (e.event.seq, e.event.target_id.as_deref())).collect::<Vec<_>>(),
        [(1, Some("x-1"))]
    );
    assert_eq!(theirs[0].prev_hash, GENESIS.to_vec());

    // Retention: a checkpoint at the last event before the cutoff, then the events up to it
    // go; what remains verifies from the checkpoint, and the chain goes on after it.
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(audit::latest_checkpoint(&mut tx).await.unwrap().is_none());
    let (seq, hash) = sweep::last_audit_event_before(&mut tx, T0 + 4).await.unwrap().unwrap();
    assert_eq!((seq, &hash), (3, &log[2].hash));
    let checkpoint = Checkpoint { seq, hash: hash.clone(), removed: 3, at: T1, signature: vec![7; 32] };
    audit::insert_checkpoint(&mut tx, &checkpoint).await.unwrap();
    assert_eq!(sweep::count(&mut tx, Kind::AuditEvents, seq).await.unwrap(), 3);
    assert_eq!(sweep::delete_batch(&mut tx, Kind::AuditEvents, seq).await.unwrap(), 3);
    assert_eq!(sweep::count(&mut tx, Kind::AuditEvents, seq).await.unwrap(), 0);
    audit::set_checkpoint_signature(&mut tx, seq, &[9; 32]).await.unwrap();
    tx.commit().await.unwrap();
    // Ten commits sealed three at a time, as a long backlog is.
    let backlog: Vec<String> = (3..13).map(|n| format!("c-{n:02}")).collect();
    for (n, target) in backlog.iter().enumerate() {
        append_all(store, shop, vec![event("customer.created", target, T1 + 1 + n as Micros)], true).await;
    }
    assert_eq!(seal_passes(store, shop, 3).await, if postgres { vec![3, 3, 3, 1] } else { vec![0] });

    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    let signed_again = Checkpoint { signature: vec![9; 32], ..checkpoint };
    assert_eq!(audit::latest_checkpoint(&mut tx).await.unwrap().as_ref(), Some(&signed_again));
    assert_eq!(audit::checkpoints(&mut tx).await.unwrap(), std::slice::from_ref(&signed_again));
    tx.commit().await.unwrap();
    let rest = read_log(store, shop, 0).await;
    assert_eq!(rest.iter().map(|e| e.event.seq).collect::<Vec<_>>(), (4..=14).collect::<Vec<_>>());
    assert_eq!(rest[0].hash, log[3].hash, "the kept event is as it was");
    let mut verifier = ChainVerifier::after(signed_again.seq, signed_again.hash.clone());
    for stored in &rest {
        verifier.check(&stored.event, &stored.prev_hash, &stored.hash).unwrap();
    }
    assert_eq!(verifier.checked, 11);
    // Batched passes take the oldest waiting events first, so a backlog sealed over many
    // passes is still chained in the order the events happened (migration 18).
    let targets: Vec<&str> = rest[1..].iter().filter_map(|e| e.event.target_id.as_deref()).collect();
    assert_eq!(targets, backlog.iter().map(String::as_str).collect::<Vec<_>>());
    // The other business's log was not touched by the sweep.
    assert_eq!(read_log(store, other, 0).await.len(), 1);
}

// ---------------------------------------------------------------------------------------
// Key store

fn wrapped(version: i64, byte: u8) -> WrappedKey {
    WrappedKey { key_version: version, wrapped: vec![byte; 72] }
}

async fn keystore_story(store: &Store) {
    let shop = new_tenant(store, "keys-a").await;
    let other = new_tenant(store, "keys-b").await;
    let subject = Uuid::now_v7();

    // The tenant key: first writer wins, and a re-wrap changes only the wrapping.
    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert!(keystore::tenant_key(&mut tx).await.unwrap().is_none());
    keystore::insert_tenant_key(&mut tx, &wrapped(1, 0xa1), "mk-one", T0).await.unwrap();
    keystore::insert_tenant_key(&mut tx, &wrapped(2, 0xb2), "mk-two", T0).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin_tenant(shop).await.unwrap();
    let stored = keystore::tenant_key(&mut tx).await.unwrap().unwrap();
    assert_eq!(
        (stored.key.key_version, stored.key.wrapped, stored.master_key_id.as_deref()),
        (1, vec![0xa1; 72], Some("mk-one"))
    );
    assert!(keystore::rewrap_tenant_key(&mut tx, &[0xc3; 72], "mk-rotated").await.unwrap());
    tx.commit().await.unwrap();
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    let stored = keystore::tenant_key(&mut tx).await.unwrap().unwrap();
    assert_eq!(
        (stored.key.key_version, stored.key.wrapped, stored.master_key_id.as_deref()),
        (1, vec![0xc3; 72], Some("mk-rotated"))
    );
    tx.commit().await.unwrap();

    // A subject key: stored once, read back, and gone for good once deleted.
    let mut tx = store.begin_tenant(shop).await.unwrap();
    keystore::insert_subject_key(&mut tx, subject, &wrapped(1, 0x11), T0).await.unwrap();
    keystore::insert_subject_key(&mut tx, subject, &wrapped(1, 0x22), T0).await.unwrap();
    tx.commit().await.unwrap();
    // A key written in a transaction that rolls back is not kept (the key store is a file
    // of its own on SQLite, committed beside the data).
    let unkept = Uuid::now_v7();
    let mut tx = store.begin_tenant(shop).await.unwrap();
    keystore::insert_subject_key(&mut tx, unkept, &wrapped(1, 0x33), T0).await.unwrap();
    drop(tx);
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    let key = keystore::subject_key(&mut tx, subject).await.unwrap().unwrap();
    assert_eq!((key.key_version, key.wrapped), (1, vec![0x11; 72]), "the first insert wins");
    assert!(keystore::subject_key(&mut tx, unkept).await.unwrap().is_none());
    tx.commit().await.unwrap();

    // The other business has no key of the first one, and cannot change or destroy it.
    let mut tx = store.begin_tenant(other).await.unwrap();
    assert!(keystore::tenant_key(&mut tx).await.unwrap().is_none());
    assert!(!keystore::rewrap_tenant_key(&mut tx, &[0xee; 72], "mk-evil").await.unwrap());
    assert!(keystore::subject_key(&mut tx, subject).await.unwrap().is_none());
    assert!(!keystore::delete_subject_key(&mut tx, subject).await.unwrap());
    // Its own key for the same subject id is its own row.
    keystore::insert_subject_key(&mut tx, subject, &wrapped(1, 0x44), T0).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin_tenant(shop).await.unwrap();
    assert_eq!(keystore::tenant_key(&mut tx).await.unwrap().unwrap().key.wrapped, vec![0xc3; 72]);
    assert!(keystore::delete_subject_key(&mut tx, subject).await.unwrap());
    assert!(!keystore::delete_subject_key(&mut tx, subject).await.unwrap(), "destroyed once");
    tx.commit().await.unwrap();
    let mut tx = store.begin_tenant_read(shop).await.unwrap();
    assert!(keystore::subject_key(&mut tx, subject).await.unwrap().is_none());
    tx.commit().await.unwrap();
    let mut tx = store.begin_tenant_read(other).await.unwrap();
    assert_eq!(keystore::subject_key(&mut tx, subject).await.unwrap().unwrap().wrapped, vec![0x44; 72]);
    tx.commit().await.unwrap();
}
