//! Booking's tables: locations, services, staff and their hours, appointments and held
//! slots.

pub mod appointments;
pub mod holds;
pub mod setup;
