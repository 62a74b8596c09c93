//! Payments of completed bookings through the gateway: transactions, events, API calls and security events.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn payments(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("payment_transactions"), self.ids());
        let mut payments = ctx.sink::<payment_transactions::Entity>(self.bookings.len() as u64);
        let mut events = ctx.sink::<payment_events::Entity>(self.bookings.len() as u64 * 3);
        let mut calls = ctx.sink::<payment_api_logs::Entity>(self.bookings.len() as u64 * 2);
        let (mut event_ids, mut call_ids) = (self.ids(), self.ids());
        let mut security = Vec::new();
        let mut covered_failure = false;
        for (bi, b) in self.bookings.iter().enumerate() {
            // Which payments a booking has: (status, created, captured) per attempt.
            let mut attempts: Vec<(PaymentStatus, DateTime<Utc>)> = Vec::new();
            match (b.status, b.accepted) {
                (BookingStatus::Completed, Some(acc)) => {
                    if !covered_failure || rng.percent(4) {
                        covered_failure = true;
                        attempts.push((PaymentStatus::Failed, acc));
                    }
                    let refunded = attempts.is_empty() && rng.percent(6) || bi == 0;
                    attempts.push((
                        if refunded { PaymentStatus::Refunded } else { PaymentStatus::Captured },
                        acc + Duration::minutes(5),
                    ));
                }
                (BookingStatus::Cancelled, Some(acc)) if rng.percent(70) || bi < 8 => {
                    attempts.push((PaymentStatus::Refunded, acc))
                }
                (BookingStatus::Accepted | BookingStatus::InProgress, Some(acc)) => {
                    attempts.push((PaymentStatus::Authorized, acc))
                }
                (BookingStatus::Requested, _) if rng.percent(40) || bi < 8 => {
                    attempts.push((PaymentStatus::Created, b.created))
                }
                _ => {}
            }
            for (status, created) in attempts {
                let id = ids.next(&mut rng);
                let gateway = rng.cover(
                    bi % 3,
                    &[
                        (PaymentGateway::Stripe, 60),
                        (PaymentGateway::Razorpay, 25),
                        (PaymentGateway::Paypal, 15),
                    ],
                );
                // The steps the gateway reported, each a few minutes after the last.
                let mut steps: Vec<(PaymentEventType, PaymentStatus)> =
                    vec![(PaymentEventType::OrderCreated, PaymentStatus::Created)];
                match status {
                    PaymentStatus::Failed => {
                        steps.push((PaymentEventType::PaymentFailed, PaymentStatus::Failed))
                    }
                    PaymentStatus::Created => {}
                    _ => {
                        steps.push((PaymentEventType::PaymentAuthorized, PaymentStatus::Authorized));
                        if matches!(status, PaymentStatus::Captured | PaymentStatus::Refunded) {
                            steps.push((PaymentEventType::PaymentCaptured, PaymentStatus::Captured));
                        }
                        if status == PaymentStatus::Refunded {
                            steps.push((PaymentEventType::RefundInitiated, PaymentStatus::Captured));
                            steps.push((PaymentEventType::RefundProcessed, PaymentStatus::Refunded));
                        }
                    }
                }
                let mut at = created;
                let mut times = Vec::new();
                for _ in &steps {
                    times.push(at);
                    at = (at + rng.seconds(30, 1800)).min(self.now);
                }
                let captured =
                    steps.iter().position(|s| s.0 == PaymentEventType::PaymentCaptured).map(|k| times[k]);
                let refunded = (status == PaymentStatus::Refunded).then(|| *times.last().unwrap());
                let refund = (status == PaymentStatus::Refunded)
                    .then(|| if b.status == BookingStatus::Completed { b.price / 2 } else { b.price });
                let method = rng.cover(
                    bi % 4,
                    &[
                        (PaymentMethod::Card, 60),
                        (PaymentMethod::Upi, 15),
                        (PaymentMethod::Netbanking, 10),
                        (PaymentMethod::Wallet, 15),
                    ],
                );
                ctx.put(
                    &mut payments,
                    &payment_transactions::Model {
                        id,
                        booking_id: b.id,
                        user_id: self.people[b.customer].id,
                        gateway,
                        gateway_order_id: Some(format!("order_{}", rng.hex(14))),
                        gateway_payment_id: (status != PaymentStatus::Created)
                            .then(|| format!("pay_{}", rng.hex(20))),
                        amount: cents(b.price),
                        currency: "USD".into(),
                        status,
                        method: (status != PaymentStatus::Created).then_some(method),
                        failure_reason: (status == PaymentStatus::Failed).then(|| "card_declined".into()),
                        refund_amount: refund.map(cents),
                        captured_at: captured,
                        refunded_at: refunded,
                        created_at: created,
                        updated_at: *times.last().unwrap(),
                    },
                )
                .await?;
                for (k, (event, after)) in steps.iter().enumerate() {
                    ctx.put_child(
                        &mut events,
                        &payment_events::Model {
                            id: event_ids.next(&mut rng),
                            payment_id: id,
                            event_type: *event,
                            status: *after,
                            payload: Some(
                                json!({"gateway": format!("{gateway:?}").to_lowercase(), "amount": b.price}),
                            ),
                            occurred_at: times[k],
                            created_at: times[k],
                        },
                        &mut payments,
                    )
                    .await?;
                    let (endpoint, method, code) = match event {
                        PaymentEventType::OrderCreated => ("/v1/orders", HttpMethod::Post, 201),
                        PaymentEventType::PaymentAuthorized => {
                            ("/v1/payments/authorize", HttpMethod::Post, 200)
                        }
                        PaymentEventType::PaymentCaptured => ("/v1/payments/capture", HttpMethod::Post, 200),
                        PaymentEventType::PaymentFailed => ("/v1/payments/authorize", HttpMethod::Post, 402),
                        PaymentEventType::RefundInitiated => ("/v1/refunds", HttpMethod::Post, 202),
                        PaymentEventType::RefundProcessed => ("/v1/refunds/status", HttpMethod::Get, 200),
                    };
                    ctx.put_child(
                        &mut calls,
                        &payment_api_logs::Model {
                            id: call_ids.next(&mut rng),
                            payment_id: Some(id),
                            gateway,
                            endpoint: endpoint.into(),
                            http_method: method,
                            request_body: (method != HttpMethod::Get)
                                .then(|| json!({"amount": b.price, "currency": "USD"})),
                            response_status: Some(code),
                            response_body: Some(json!({"ok": code < 400})),
                            duration_ms: rng.between(40, 1500) as i32,
                            created_at: times[k],
                        },
                        &mut payments,
                    )
                    .await?;
                }
                if security.len() < 5 || rng.percent(2) {
                    security.push((id, b.customer, created));
                }
            }
        }
        // Calls that touch no one payment: health checks and the odd lookup.
        for k in 0..3 {
            let method = [HttpMethod::Get, HttpMethod::Put, HttpMethod::Patch][k];
            let code = [200, 409, 200][k];
            // Through `put_child` like the calls above: a batch this row fills holds calls of
            // payments still queued, which must go first.
            ctx.put_child(
                &mut calls,
                &payment_api_logs::Model {
                    id: call_ids.next(&mut rng),
                    payment_id: None,
                    gateway: PaymentGateway::Stripe,
                    endpoint: ["/v1/health", "/v1/webhooks/endpoint", "/v1/account"][k].into(),
                    http_method: method,
                    request_body: None,
                    response_status: Some(code),
                    response_body: None,
                    duration_ms: rng.between(20, 300) as i32,
                    created_at: self.now - Duration::days(k as i64 + 1),
                },
                &mut payments,
            )
            .await?;
        }
        // A call that timed out, without a response.
        let timed_out = payment_api_logs::Model {
            id: call_ids.next(&mut rng),
            payment_id: None,
            gateway: PaymentGateway::Paypal,
            endpoint: "/v1/webhooks/old".into(),
            http_method: HttpMethod::Delete,
            request_body: None,
            response_status: None,
            response_body: None,
            duration_ms: 30_000,
            created_at: self.now - Duration::days(5),
        };
        ctx.put_child(&mut calls, &timed_out, &mut payments).await?;
        ctx.close(&mut payments).await?;
        ctx.close(&mut events).await?;
        ctx.close(&mut calls).await?;

        let (mut rng, mut ids) = (self.rng("payment_security_events"), self.ids());
        let mut sink = ctx.sink::<payment_security_events::Entity>(security.len() as u64);
        for (k, (payment, user, at)) in security.into_iter().enumerate() {
            let created = (at + rng.seconds(1, 600)).min(self.now);
            ctx.put(
                &mut sink,
                &payment_security_events::Model {
                    id: ids.next(&mut rng),
                    user_id: Some(self.people[user].id),
                    payment_id: Some(payment),
                    event_type: rng.cover(
                        k,
                        &[
                            (SecurityEventType::VelocityLimit, 30),
                            (SecurityEventType::CardMismatch, 20),
                            (SecurityEventType::SuspiciousIp, 30),
                            (SecurityEventType::SignatureMismatch, 10),
                            (SecurityEventType::Chargeback, 10),
                        ],
                    ),
                    severity: rng.cover(
                        k,
                        &[
                            (Severity::Low, 40),
                            (Severity::Medium, 35),
                            (Severity::High, 20),
                            (Severity::Critical, 5),
                        ],
                    ),
                    ip_address: Some(format!("203.0.113.{}", rng.between(1, 254))),
                    details: Some(json!({"rule": "gateway-risk", "score": rng.between(1, 100)})),
                    resolved_at: (k % 2 == 0 || rng.percent(50))
                        .then(|| (created + rng.seconds(600, 3 * DAY)).min(self.now)),
                    created_at: created,
                },
            )
            .await?;
        }
        ctx.close(&mut sink).await
    }
}
