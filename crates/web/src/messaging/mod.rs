//! Reminders and messages: the rules, the channels a business connects (SMS, WhatsApp,
//! email), the outbox, and the providers' signed callbacks.

pub mod api;
pub mod pages;
pub mod provider_hooks;

use crate::routes::{Route, Section, delete, get, post, put};
use steward_app::messaging::{log, settings};
use steward_domain::permissions::Permission::{BookingsManage, CustomersRead, TenantManage, TenantRead};

/// The routes of this capability.
pub fn routes() -> Vec<Route> {
    vec![
        post("/hooks/twilio/{tenant_slug}/status", provider_hooks::twilio_status)
            .public()
            .about("Twilio's delivery reports"),
        post("/hooks/twilio/{tenant_slug}/inbound", provider_hooks::twilio_inbound)
            .public()
            .about("SMS replies (STOP withdraws consent)"),
        get("/hooks/whatsapp/{tenant_slug}", provider_hooks::whatsapp_handshake)
            .public()
            .about("WhatsApp's webhook subscription check"),
        post("/hooks/whatsapp/{tenant_slug}", provider_hooks::whatsapp_events)
            .public()
            .about("WhatsApp's delivery reports and replies"),
        get("/app/settings/messaging", pages::show)
            .needs(TenantRead)
            .setting(90, "Reminders & channels", Section::Messages)
            .about("Reminders & channels"),
        post("/app/settings/messaging/rules", pages::save_rules).needs(TenantManage).about("Set the reminder rules"),
        post("/app/settings/messaging/channels", pages::connect)
            .needs(TenantManage)
            .about("Connect a provider account"),
        post("/app/settings/messaging/channels/{channel}/disconnect", pages::disconnect)
            .needs(TenantManage)
            .about("Disconnect a provider account"),
        post("/app/settings/messaging/templates", pages::save_template).needs(TenantManage).about("Save a template"),
        post("/app/settings/messaging/preview", pages::preview).needs(TenantRead).about("Preview a template"),
        post("/app/settings/messaging/test", pages::send_test).needs(TenantManage).about("Send a test message"),
        get("/app/messages", pages::log_page).needs(CustomersRead).menu(80, "Messages").about("The message log"),
        post("/app/messages/{message_id}/retry", pages::retry)
            .needs(BookingsManage)
            .about("Send a failed message again"),
        get("/api/v1/messaging", api::show)
            .needs(TenantRead)
            .answers::<settings::SettingsView>()
            .about("Reminder rules, connected provider accounts (secrets masked) and the channels that can send now"),
        put("/api/v1/messaging/rules", api::set_rules)
            .needs(TenantManage)
            .takes::<settings::RulesInput>()
            .answers::<settings::RulesInput>()
            .about("Set when reminders go, the channel order with fallback, quiet hours, services and notices"),
        post("/api/v1/messaging/channels", api::connect)
            .needs(TenantManage)
            .takes::<settings::ChannelInput>()
            .answers::<settings::ChannelView>()
            .about("Connect the business's own Twilio or WhatsApp account; secrets are sealed and never returned"),
        delete("/api/v1/messaging/channels/{channel}", api::disconnect)
            .needs(TenantManage)
            .answers_no_json()
            .about("Disconnect a provider account"),
        get("/api/v1/messaging/templates", api::templates)
            .needs(TenantRead)
            .answers_list::<settings::TemplateView>()
            .about("Every kind of message in every language, with a preview"),
        put("/api/v1/messaging/templates", api::save_template)
            .needs(TenantManage)
            .takes::<settings::TemplateInput>()
            .answers::<settings::TemplateView>()
            .about("Write a template; only the declared fields may be used"),
        post("/api/v1/messaging/templates/preview", api::preview)
            .needs(TenantRead)
            .takes::<api::PreviewInput>()
            .answers::<api::PreviewText>()
            .status(200)
            .about("What a template would send, with made-up values"),
        post("/api/v1/messaging/test", api::send_test)
            .needs(TenantManage)
            .takes::<settings::TestInput>()
            .answers::<settings::TestResult>()
            .status(200)
            .about("Send a test message now on one channel, to an address you type"),
        get("/api/v1/messages", api::messages)
            .needs(CustomersRead)
            .query::<api::LogQuery>()
            .answers_list::<log::MessageView>()
            .about("The business's latest messages with status, channel and the provider's id"),
        get("/api/v1/customers/{customer_id}/messages", api::of_customer)
            .needs(CustomersRead)
            .answers_list::<log::MessageView>()
            .about("A customer's messages, newest first"),
        post("/api/v1/messages/{message_id}/retry", api::retry)
            .needs(BookingsManage)
            .answers::<log::MessageView>()
            .status(200)
            .about("Send a failed message again"),
    ]
}
