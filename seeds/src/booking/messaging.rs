//! Notifications on every channel: in-app notices, push tokens, scheduled sends, delivery logs and receipts, settings, and the retry queue.

use super::text::{Notice, NoticeKind};
use super::*;

impl Gen<'_, '_> {
    pub(super) async fn in_app(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("notifications"), self.ids());
        let mut sink = ctx.sink::<notifications::Entity>(self.bookings.len() as u64 * 2);
        let mut pushes = self.rng("notification_logs/pushed");
        let mut kinds = 0;
        for b in &self.bookings {
            let provider_user = self.providers[b.provider].1;
            let mut notices =
                vec![(provider_user, NotificationType::BookingUpdate, NoticeKind::Requested, b.created)];
            if let Some(t) = b.accepted {
                notices.push((b.customer, NotificationType::BookingUpdate, NoticeKind::Accepted, t));
                if b.start > self.now {
                    notices.push((
                        b.customer,
                        NotificationType::Reminder,
                        NoticeKind::Reminder,
                        t.max(b.start - Duration::days(1)).min(self.now),
                    ));
                }
            }
            if let Some(t) = b.completed {
                notices.push((b.customer, NotificationType::Payment, NoticeKind::Paid, t));
            }
            if kinds < 2 {
                notices.push((
                    b.customer,
                    [NotificationType::Promotion, NotificationType::System][kinds],
                    [NoticeKind::Promotion, NoticeKind::News][kinds],
                    b.created,
                ));
                kinds += 1;
            } else if rng.percent(5) {
                notices.push((b.customer, NotificationType::Promotion, NoticeKind::Promotion, b.created));
            }
            for (user, kind, notice, at) in notices {
                let (title, message) = notice.write(&Notice {
                    customer: &self.first_names[b.customer],
                    provider: &self.first_names[provider_user],
                    service: SERVICES[b.service].0,
                    price_cents: b.price,
                    start: b.start,
                    at,
                });
                let id = ids.next(&mut rng);
                let read = (rng.percent(60) && at < self.now - Duration::hours(1))
                    .then(|| (at + rng.seconds(60, 2 * DAY)).min(self.now));
                ctx.put(
                    &mut sink,
                    &notifications::Model {
                        id,
                        user_id: self.people[user].id,
                        kind,
                        title,
                        message,
                        data: Some(json!({"booking_id": b.id.to_string()})),
                        read_at: read,
                        created_at: at,
                    },
                )
                .await?;
                if pushes.percent(40) {
                    self.pushed.push((id, user, at));
                }
            }
        }
        ctx.close(&mut sink).await
    }

    pub(super) async fn push(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("user_push_tokens"), self.ids());
        let mut sink = ctx.sink::<user_push_tokens::Entity>(self.people.len() as u64);
        for (i, p) in self.people.iter().enumerate() {
            let count = if i < 3 {
                2
            } else if rng.percent(70) {
                rng.between(1, 2)
            } else {
                0
            };
            for _ in 0..count {
                let id = ids.next(&mut rng);
                let created =
                    self.rhythm.time(&mut rng, p.created, self.now - Duration::hours(1), p.home().zone);
                ctx.put(
                    &mut sink,
                    &user_push_tokens::Model {
                        id,
                        user_id: p.id,
                        token: format!("ExponentPushToken[{}]", rng.hex(22)),
                        platform: rng.cover(
                            self.tokens.len(),
                            &[
                                (DevicePlatform::Ios, 45),
                                (DevicePlatform::Android, 45),
                                (DevicePlatform::Web, 10),
                            ],
                        ),
                        device_id: rng.percent(80).then(|| rng.hex(16)),
                        is_active: self.tokens.len() != 1 && rng.percent(90),
                        last_used_at: rng.percent(80).then(|| rng.time_between(created, self.now)),
                        created_at: created,
                        updated_at: created,
                    },
                )
                .await?;
                self.tokens.push((id, i));
            }
        }
        ctx.close(&mut sink).await?;

        // Reminders an hour before each accepted booking: sent for the past, pending ahead.
        let (mut rng, mut ids) = (self.rng("scheduled_notifications"), self.ids());
        let mut scheduled = ctx.sink::<scheduled_notifications::Entity>(self.bookings.len() as u64 / 2);
        let mut sent = Vec::new();
        // Reminders that were due: the first fails, then one in 25, so tiny data has a failure.
        let mut due = 0;
        for b in &self.bookings {
            let Some(acc) = b.accepted else { continue };
            let at = b.start - Duration::hours(1);
            let status = if b.cancelled.is_some() {
                ScheduledStatus::Cancelled
            } else if at > self.now {
                ScheduledStatus::Pending
            } else {
                due += 1;
                if due % 25 == 1 { ScheduledStatus::Failed } else { ScheduledStatus::Sent }
            };
            // Coverage counts the reminders that went out, so that every channel is logged.
            let sent_k = if status == ScheduledStatus::Sent { sent.len() } else { usize::MAX / 2 };
            let channel = rng.cover(
                sent_k,
                &[
                    (NotificationChannel::Push, 50),
                    (NotificationChannel::Sms, 25),
                    (NotificationChannel::Email, 15),
                    (NotificationChannel::InApp, 10),
                ],
            );
            let id = ids.next(&mut rng);
            let (title, body) = super::text::reminder(&Notice {
                customer: &self.first_names[b.customer],
                provider: &self.first_names[self.providers[b.provider].1],
                service: SERVICES[b.service].0,
                price_cents: b.price,
                start: b.start,
                at,
            });
            ctx.put(
                &mut scheduled,
                &scheduled_notifications::Model {
                    id,
                    user_id: self.people[b.customer].id,
                    channel,
                    title,
                    body,
                    data: Some(json!({"booking_id": b.id.to_string()})),
                    scheduled_for: at,
                    status,
                    sent_at: (status == ScheduledStatus::Sent).then_some(at),
                    created_at: acc,
                },
            )
            .await?;
            if status == ScheduledStatus::Sent {
                sent.push((id, b.customer, channel, at));
            }
        }
        ctx.close(&mut scheduled).await?;

        // Every message that went out (the sent reminders and the pushed in-app notices), with
        // what the device reported back for pushes, and the failures waiting for a retry.
        let (mut rng, mut ids) = (self.rng("notification_logs"), self.ids());
        let (mut receipt_rng, mut receipt_ids) = (self.rng("notification_receipts"), self.ids());
        let mut logs = ctx.sink::<notification_logs::Entity>(0);
        let mut receipts = ctx.sink::<notification_receipts::Entity>(0);
        let mut token_of: Vec<Option<Uuid>> = vec![None; self.people.len()];
        for (token, user) in self.tokens.iter().rev() {
            token_of[*user] = Some(*token);
        }
        let mut queue = Vec::new();
        let mut receipted = 0;
        let pushed = std::mem::take(&mut self.pushed);
        let messages =
            sent.into_iter().map(|(id, user, channel, at)| (None, Some(id), user, channel, at)).chain(
                pushed
                    .into_iter()
                    .map(|(id, user, at)| (Some(id), None, user, NotificationChannel::Push, at)),
            );
        let mut pushes_logged = 0;
        for (notification, scheduled_id, user, channel, at) in messages {
            // Coverage counts pushes only, so that a failed push (and its failed receipt) occurs.
            let k = if channel == NotificationChannel::Push { pushes_logged } else { usize::MAX / 2 };
            pushes_logged += usize::from(channel == NotificationChannel::Push);
            let status = rng.cover(
                k,
                &[
                    (DeliveryStatus::Delivered, 80),
                    (DeliveryStatus::Failed, 6),
                    (DeliveryStatus::Sent, 10),
                    (DeliveryStatus::Queued, 4),
                ],
            );
            let id = ids.next(&mut rng);
            ctx.put(
                &mut logs,
                &notification_logs::Model {
                    id,
                    user_id: self.people[user].id,
                    notification_id: notification,
                    scheduled_notification_id: scheduled_id,
                    channel,
                    status,
                    provider_message_id: (status != DeliveryStatus::Queued)
                        .then(|| format!("msg_{}", rng.hex(16))),
                    error_message: (status == DeliveryStatus::Failed).then(|| {
                        ["Device not registered", "Rate limited", "Invalid number"][rng.below(3)].into()
                    }),
                    sent_at: at,
                    created_at: at,
                },
            )
            .await?;
            if status == DeliveryStatus::Failed {
                queue.push((user, channel, at));
            }
            if channel != NotificationChannel::Push || status == DeliveryStatus::Queued {
                continue;
            }
            let receipt = if status == DeliveryStatus::Failed {
                ReceiptStatus::Failed
            } else {
                receipt_rng.cover(
                    receipted,
                    &[
                        (ReceiptStatus::Delivered, 50),
                        (ReceiptStatus::Opened, 35),
                        (ReceiptStatus::Dismissed, 15),
                    ],
                )
            };
            receipted += 1;
            let received = (at + receipt_rng.seconds(1, 120)).min(self.now.max(at));
            ctx.put_child(
                &mut receipts,
                &notification_receipts::Model {
                    id: receipt_ids.next(&mut receipt_rng),
                    notification_log_id: id,
                    push_token_id: token_of[user],
                    status: receipt,
                    received_at: received,
                    created_at: received,
                },
                &mut logs,
            )
            .await?;
        }
        ctx.close(&mut logs).await?;
        ctx.close(&mut receipts).await?;

        let (mut rng, mut ids) = (self.rng("user_notification_settings"), self.ids());
        let mut sink = ctx.sink::<user_notification_settings::Entity>(self.people.len() as u64);
        for (i, p) in self.people.iter().enumerate() {
            let quiet = i == 2 || rng.percent(30);
            ctx.put(
                &mut sink,
                &user_notification_settings::Model {
                    id: ids.next(&mut rng),
                    user_id: p.id,
                    push_enabled: rng.percent(90),
                    sms_enabled: rng.percent(70),
                    email_enabled: rng.percent(85),
                    marketing_enabled: rng.percent(30),
                    quiet_hours_start: quiet.then_some(22),
                    quiet_hours_end: quiet.then_some(7),
                    timezone: p.home().zone.name.into(),
                    created_at: p.created,
                    updated_at: p.created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await?;

        let (mut rng, mut ids) = (self.rng("notification_queue"), self.ids());
        // At least one waiting message per channel, even when few sends failed.
        while queue.len() < 4 {
            let user = rng.below(self.people.len());
            queue.push((user, NotificationChannel::Push, self.now - rng.seconds(60, DAY)));
        }
        let mut sink = ctx.sink::<notification_queue::Entity>(queue.len() as u64);
        for (k, (user, channel, at)) in queue.into_iter().enumerate() {
            let channel = if k < 4 {
                [
                    NotificationChannel::Push,
                    NotificationChannel::Sms,
                    NotificationChannel::Email,
                    NotificationChannel::InApp,
                ][k]
            } else {
                channel
            };
            let status = rng.cover(
                k,
                &[
                    (QueueStatus::Pending, 50),
                    (QueueStatus::Processing, 10),
                    (QueueStatus::Failed, 25),
                    (QueueStatus::Dead, 15),
                ],
            );
            let max = 5;
            let retries = match status {
                QueueStatus::Dead => max,
                QueueStatus::Pending => rng.between(0, 3) as i32,
                _ => rng.between(1, 4) as i32,
            };
            ctx.put(
                &mut sink,
                &notification_queue::Model {
                    id: ids.next(&mut rng),
                    user_id: self.people[user].id,
                    channel,
                    payload: json!({"title": "Retry", "attempt": retries}),
                    status,
                    retry_count: retries,
                    max_retries: max,
                    next_attempt_at: (status == QueueStatus::Pending)
                        .then(|| self.now + rng.seconds(60, 3600)),
                    last_error: Some("Device not registered".into()),
                    created_at: at,
                    updated_at: at,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }
}
