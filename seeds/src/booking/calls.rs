//! Masked calls between the two parties of a booking: sessions, logs, events and recordings.

use super::*;

impl Gen<'_, '_> {
    pub(super) async fn calls(&mut self) -> Result<(), DbErr> {
        let ctx = self.ctx;
        let (mut rng, mut ids) = (self.rng("call_sessions"), self.ids());
        let mut sessions = ctx.sink::<call_sessions::Entity>(self.bookings.len() as u64 / 2);
        let mut logs = ctx.sink::<call_logs::Entity>(0);
        let mut events = ctx.sink::<call_events::Entity>(0);
        let mut recordings = ctx.sink::<call_recordings::Entity>(0);
        let (mut log_ids, mut event_ids, mut rec_ids) = (self.ids(), self.ids(), self.ids());
        let mut live = 0;
        let mut ended = 0;
        let mut recorded = 0;
        for b in &self.bookings {
            let Some(acc) = b.accepted else { continue };
            let window_end = b.completed.or(b.cancelled).unwrap_or(self.now).min(self.now);
            let statuses: Vec<CallStatus> = if b.status == BookingStatus::InProgress {
                let s = [CallStatus::InProgress, CallStatus::Ringing, CallStatus::Initiated][live % 3];
                live += 1;
                vec![s]
            } else if ended < 5 || rng.percent(35) {
                // Every outcome first, then two more completed calls: three recordings, one of
                // each format, even in tiny data.
                let s = rng.cover(
                    ended,
                    &[
                        (CallStatus::Completed, 70),
                        (CallStatus::Missed, 20),
                        (CallStatus::Failed, 10),
                        (CallStatus::Completed, 0),
                        (CallStatus::Completed, 0),
                    ],
                );
                ended += 1;
                vec![s]
            } else {
                vec![]
            };
            for status in statuses {
                let id = ids.next(&mut rng);
                let provider_user = self.providers[b.provider].1;
                let (caller, callee) =
                    if rng.percent(60) { (b.customer, provider_user) } else { (provider_user, b.customer) };
                let is_live =
                    matches!(status, CallStatus::Initiated | CallStatus::Ringing | CallStatus::InProgress);
                let zone = self.people[caller].home().zone;
                let started = if is_live {
                    self.now - rng.seconds(5, 300)
                } else {
                    self.rhythm.time(&mut rng, acc, window_end, zone)
                };
                let talk = match status {
                    CallStatus::Completed => rng.between(20, 900),
                    _ => 0,
                };
                let ended_at = (!is_live).then(|| {
                    (started + Duration::seconds(talk + rng.between(5, 40))).min(self.now.max(started))
                });
                let masked = format!("+1800555{:04}", rng.between(0, 9999));
                ctx.put(
                    &mut sessions,
                    &call_sessions::Model {
                        id,
                        booking_id: b.id,
                        caller_id: self.people[caller].id,
                        callee_id: self.people[callee].id,
                        masked_number: masked.clone(),
                        status,
                        started_at: started,
                        ended_at,
                        created_at: started,
                    },
                )
                .await?;
                let steps: &[CallEventType] = match status {
                    CallStatus::Completed if recorded == 0 || rng.percent(30) => &[
                        CallEventType::Initiated,
                        CallEventType::Ringing,
                        CallEventType::Answered,
                        CallEventType::Held,
                        CallEventType::Resumed,
                        CallEventType::Ended,
                    ],
                    CallStatus::Completed => &[
                        CallEventType::Initiated,
                        CallEventType::Ringing,
                        CallEventType::Answered,
                        CallEventType::Ended,
                    ],
                    CallStatus::Missed => {
                        &[CallEventType::Initiated, CallEventType::Ringing, CallEventType::Ended]
                    }
                    CallStatus::Failed => &[CallEventType::Initiated, CallEventType::Failed],
                    CallStatus::InProgress => {
                        &[CallEventType::Initiated, CallEventType::Ringing, CallEventType::Answered]
                    }
                    CallStatus::Ringing => &[CallEventType::Initiated, CallEventType::Ringing],
                    CallStatus::Initiated => &[CallEventType::Initiated],
                };
                let last = ended_at.unwrap_or(self.now);
                let span = (last - started).num_seconds().max(0);
                for (k, e) in steps.iter().enumerate() {
                    let offset = span * k as i64 / steps.len().max(1) as i64;
                    ctx.put_child(
                        &mut events,
                        &call_events::Model {
                            id: event_ids.next(&mut rng),
                            call_session_id: id,
                            event_type: *e,
                            occurred_at: started + Duration::seconds(offset),
                            metadata: (*e == CallEventType::Failed).then(|| json!({"sip_code": 503})),
                        },
                        &mut sessions,
                    )
                    .await?;
                }
                let Some(end) = ended_at else { continue };
                ctx.put_child(
                    &mut logs,
                    &call_logs::Model {
                        id: log_ids.next(&mut rng),
                        call_session_id: id,
                        caller_masked_number: masked.clone(),
                        callee_masked_number: masked,
                        duration_seconds: talk as i32,
                        outcome: match status {
                            CallStatus::Completed => CallOutcome::Completed,
                            CallStatus::Missed => CallOutcome::Missed,
                            _ => CallOutcome::Failed,
                        },
                        created_at: end,
                    },
                    &mut sessions,
                )
                .await?;
                if status == CallStatus::Completed && (recorded < 3 || rng.percent(30)) {
                    let k = recorded;
                    recorded += 1;
                    ctx.put_child(
                        &mut recordings,
                        &call_recordings::Model {
                            id: rec_ids.next(&mut rng),
                            call_session_id: id,
                            storage_url: format!("https://recordings.example.com/{}.audio", rng.hex(24)),
                            format: rng.cover(
                                k,
                                &[
                                    (RecordingFormat::Mp3, 70),
                                    (RecordingFormat::Wav, 20),
                                    (RecordingFormat::Ogg, 10),
                                ],
                            ),
                            duration_seconds: talk as i32,
                            size_bytes: talk * 16_000,
                            expires_at: Some(end + Duration::days(90)),
                            created_at: end,
                        },
                        &mut sessions,
                    )
                    .await?;
                }
            }
        }
        ctx.close(&mut sessions).await?;
        ctx.close(&mut logs).await?;
        ctx.close(&mut events).await?;
        ctx.close(&mut recordings).await
    }
}
