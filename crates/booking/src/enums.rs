//! The booking domain's enumerated types. Each is stored as a VARCHAR guarded by a CHECK
//! constraint that lists the same values, never as a native ENUM type.

use sea_orm::entity::prelude::*;

/// Users.role: what an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum UserRole {
    Customer,
    Provider,
    Admin,
}

/// Addresses.address_type: what kind of place an address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum AddressType {
    Home,
    Work,
    Other,
}

/// Provider_profiles.verification_status: where a provider's background check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum VerificationStatus {
    Pending,
    Verified,
    Rejected,
}

/// Bookings.status: requested by the customer, accepted by the provider, under way, done, or called off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum BookingStatus {
    Requested,
    Accepted,
    InProgress,
    Completed,
    Cancelled,
}

/// Bookings.cancelled_by: who called a booking off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum BookingActor {
    Customer,
    Provider,
    Admin,
}

/// Notifications.type: what an in-app notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum NotificationType {
    BookingUpdate,
    Payment,
    Reminder,
    Promotion,
    System,
}

/// the payment provider that handled a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum PaymentGateway {
    Stripe,
    Razorpay,
    Paypal,
}

/// a payment's state at the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum PaymentStatus {
    Created,
    Authorized,
    Captured,
    Failed,
    Refunded,
}

/// how the customer paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Upi,
    Netbanking,
    Wallet,
}

/// Payment_events.event_type: a step in a payment's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))", rename_all = "snake_case")]
pub enum PaymentEventType {
    OrderCreated,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    RefundInitiated,
    RefundProcessed,
}

/// Payment_api_logs.http_method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum HttpMethod {
    #[sea_orm(string_value = "GET")]
    Get,
    #[sea_orm(string_value = "POST")]
    Post,
    #[sea_orm(string_value = "PUT")]
    Put,
    #[sea_orm(string_value = "PATCH")]
    Patch,
    #[sea_orm(string_value = "DELETE")]
    Delete,
}

/// Payment_security_events.event_type: what the fraud checks flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(30))", rename_all = "snake_case")]
pub enum SecurityEventType {
    VelocityLimit,
    CardMismatch,
    SuspiciousIp,
    SignatureMismatch,
    Chargeback,
}

/// Payment_security_events.severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// how a masked call went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum CallStatus {
    Initiated,
    Ringing,
    InProgress,
    Completed,
    Missed,
    Failed,
}

/// Call_logs.outcome: how a finished call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum CallOutcome {
    Completed,
    Missed,
    Failed,
}

/// Call_events.event_type: a step of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum CallEventType {
    Initiated,
    Ringing,
    Answered,
    Held,
    Resumed,
    Ended,
    Failed,
}

/// Call_recordings.format: the audio container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum RecordingFormat {
    Mp3,
    Wav,
    Ogg,
}

/// User_push_tokens.platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum DevicePlatform {
    Ios,
    Android,
    Web,
}

/// the channel a message goes out on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))", rename_all = "snake_case")]
pub enum NotificationChannel {
    Push,
    Sms,
    Email,
    InApp,
}

/// Scheduled_notifications.status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum ScheduledStatus {
    Pending,
    Sent,
    Cancelled,
    Failed,
}

/// Notification_logs.status: how far a message got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum DeliveryStatus {
    Queued,
    Sent,
    Delivered,
    Failed,
}

/// Notification_receipts.status: what the device reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum ReceiptStatus {
    Delivered,
    Opened,
    Dismissed,
    Failed,
}

/// Notification_queue.status: where a message waiting for a retry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))", rename_all = "snake_case")]
pub enum QueueStatus {
    Pending,
    Processing,
    Failed,
    Dead,
}
