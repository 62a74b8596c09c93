//! Version 1.2.0's data: friend requests between players, shares of draws and wins, and
//! referrals whose friends joined, each rewarded with a `referral_reward` ledger entry.
//!
//! Each table draws from its own stream, and the rewards are appended to the ledger after
//! the simulated entries, so the rows of the earlier versions' tables stay what they were
//! (only the users' coins, the sum of their ledger, grow by the rewards).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use sea_orm::DbErr;
use seedbed_draw::enums::{FriendRequestStatus, ReferralStatus, ShareChannel, TransactionType};
use seedbed_draw::{friend_requests, referrals, shares, transactions};

use super::{DOMAIN, World};
use crate::Ctx;
use crate::stream::{DAY, email};

/// Coins a referrer earns when an invited friend joins.
pub const REFERRAL_REWARD: i32 = 100;

/// Rows of the social tables, and the ledger entries they add.
pub(super) struct Social {
    requests: Vec<friend_requests::Model>,
    shares: Vec<shares::Model>,
    referrals: Vec<referrals::Model>,
    pub rewards: Vec<transactions::Model>,
}

/// Plans every social row; `next_tx` is the cell's next ledger entry (1-based).
pub(super) fn plan(ctx: &Ctx<'_>, w: &World<'_>, next_tx: &mut i32) -> Social {
    let n = w.players.len();
    let last = w.now - Duration::minutes(1);

    // Requests: the first rows pending, declined, accepted (so that key 1 is never a
    // friendship), then mostly accepted. A pair is asked once, whichever way round.
    let mut rng = ctx.streams.rng(DOMAIN, "friend_requests");
    let want = ctx.opts.count(8, 600);
    let mut pairs = BTreeSet::new();
    let mut requests = Vec::with_capacity(want);
    let mut friends: Vec<(usize, usize)> = Vec::new();
    for _ in 0..want * 3 {
        if requests.len() == want {
            break;
        }
        let a = rng.below(n);
        let b = rng.below(n);
        if a == b || !pairs.insert((a.min(b), a.max(b))) {
            continue;
        }
        let status = rng.cover(
            requests.len(),
            &[
                (FriendRequestStatus::Pending, 20),
                (FriendRequestStatus::Declined, 15),
                (FriendRequestStatus::Accepted, 65),
            ],
        );
        let known = w.players[a].created.max(w.players[b].created);
        let created = rng.time_between(known, w.now - Duration::hours(1));
        let responded =
            (status != FriendRequestStatus::Pending).then(|| (created + rng.seconds(600, 3 * DAY)).min(last));
        if status == FriendRequestStatus::Accepted {
            friends.push((a, b));
        }
        requests.push(friend_requests::Model {
            id: ctx.cell.key32(requests.len() as i32 + 1),
            requester_id: w.players[a].id.clone(),
            addressee_id: w.players[b].id.clone(),
            status,
            created_at: created,
            responded_at: responded,
        });
    }

    // Shares: the first a link to a draw, then a draw to a friend, a win by email; a share to
    // a friend goes to someone the sharer is friends with.
    let mut adjacent: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (a, b) in &friends {
        adjacent.entry(*a).or_default().push(*b);
        adjacent.entry(*b).or_default().push(*a);
    }
    let mut rng = ctx.streams.rng(DOMAIN, "shares");
    let want = ctx.opts.count(8, 800);
    let mut out = Vec::with_capacity(want);
    let open = |d: usize| w.draws[d].created;
    for i in 0..want {
        let mut channel = rng.cover(
            i,
            &[
                (ShareChannel::Link, 30),
                (ShareChannel::Friend, 30),
                (ShareChannel::Email, 15),
                (ShareChannel::Whatsapp, 25),
            ],
        );
        let win = if i == 2 {
            true
        } else if i < 2 {
            false
        } else {
            rng.percent(35)
        };
        let (user, friend, draw, winner, since) = if win && !w.wins.is_empty() {
            let (id, d) = w.wins[rng.below(w.wins.len())];
            let user = w.draws[d].winner.expect("a win has a winner");
            let friend =
                if channel == ShareChannel::Friend { friend_of(&mut rng, &adjacent, user) } else { None };
            if channel == ShareChannel::Friend && friend.is_none() {
                channel = ShareChannel::Link;
            }
            (user, friend, None, Some(id), w.draws[d].draw_time + Duration::minutes(1))
        } else {
            let (user, friend) = if channel == ShareChannel::Friend && !friends.is_empty() {
                let (a, b) = friends[rng.below(friends.len())];
                if rng.percent(50) { (a, Some(b)) } else { (b, Some(a)) }
            } else {
                if channel == ShareChannel::Friend {
                    channel = ShareChannel::Link;
                }
                (rng.below(n), None)
            };
            // A draw already announced (upcoming ones may be announced later than now).
            let d = (0..10).map(|_| rng.below(w.draws.len())).find(|d| open(*d) < last).unwrap_or(0);
            (user, friend, Some(w.draws[d].id), None, open(d))
        };
        let from = since.max(w.players[user].created);
        out.push(shares::Model {
            id: ctx.cell.key32(i as i32 + 1),
            user_id: w.players[user].id.clone(),
            draw_id: draw,
            winner_id: winner,
            channel,
            friend_id: friend.map(|f| w.players[f].id.clone()),
            created_at: rng.time_between(from, last.max(from)),
        });
    }

    // Referrals: the first one sent and waiting (so that key 1 never joined), then joined
    // ones, each friend referred once and rewarded to the referrer when they signed up.
    let mut rng = ctx.streams.rng(DOMAIN, "referrals");
    let want = ctx.opts.count(6, 300);
    let mut referred = BTreeSet::new();
    let mut refs = Vec::with_capacity(want);
    let mut rewards = Vec::new();
    for i in 0..want {
        // The key makes the code unique across cells.
        let id = ctx.cell.key32(i as i32 + 1);
        let code = format!("R{id:06}{}", rng.hex(6).to_uppercase());
        let mut status = rng.cover(
            i,
            &[(ReferralStatus::Sent, 25), (ReferralStatus::Joined, 55), (ReferralStatus::Expired, 20)],
        );
        if status == ReferralStatus::Joined {
            // A friend who signed up after someone else, and was not referred yet.
            let friend = (0..20)
                .map(|_| 3 + rng.below(n.saturating_sub(3)))
                .find(|j| *j < n && w.players[*j].created > w.oldest && !referred.contains(j));
            let referrer = friend.and_then(|j| {
                (0..20)
                    .map(|_| rng.below(n))
                    .find(|r| *r != j && w.players[*r].created < w.players[j].created)
            });
            if let (Some(j), Some(r)) = (friend, referrer) {
                referred.insert(j);
                let joined = w.players[j].created;
                let tx = ctx.cell.key32(*next_tx);
                *next_tx += 1;
                rewards.push(transactions::Model {
                    id: tx,
                    user_id: w.players[r].id.clone(),
                    kind: TransactionType::ReferralReward,
                    amount: REFERRAL_REWARD,
                    description: Some(format!("Referral reward: {code} joined")),
                    draw_id: None,
                    created_at: joined,
                });
                refs.push(referrals::Model {
                    id,
                    referrer_id: w.players[r].id.clone(),
                    code,
                    invited_email: w.emails[j].clone(),
                    referred_id: Some(w.players[j].id.clone()),
                    status,
                    reward_transaction_id: Some(tx),
                    created_at: rng.time_between(w.players[r].created, joined),
                    joined_at: Some(joined),
                });
                continue;
            }
            status = ReferralStatus::Sent;
        }
        let r = rng.below(n);
        let from = w.players[r].created;
        let created = if status == ReferralStatus::Expired && from < w.now - Duration::days(45) {
            rng.time_between(from, w.now - Duration::days(31))
        } else {
            status = ReferralStatus::Sent;
            rng.time_between(from, w.now - Duration::hours(1))
        };
        refs.push(referrals::Model {
            id,
            referrer_id: w.players[r].id.clone(),
            code,
            // Past every player's number, in every cell: nobody's address.
            invited_email: Some(email("invited", "friend", ctx.cell.number(n + i))),
            referred_id: None,
            status,
            reward_transaction_id: None,
            created_at: created,
            joined_at: None,
        });
    }
    Social { requests, shares: out, referrals: refs, rewards }
}

/// A friend of `user`, if they have one (in the order they became friends).
fn friend_of(
    rng: &mut crate::stream::Rng,
    adjacent: &BTreeMap<usize, Vec<usize>>,
    user: usize,
) -> Option<usize> {
    let theirs = adjacent.get(&user)?;
    Some(theirs[rng.below(theirs.len())])
}

/// Writes the social tables (their ledger entries are already written).
pub(super) async fn write(ctx: &Ctx<'_>, s: Social) -> Result<(), DbErr> {
    let mut sink = ctx.sink::<friend_requests::Entity>(s.requests.len() as u64);
    for row in &s.requests {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await?;
    let mut sink = ctx.sink::<shares::Entity>(s.shares.len() as u64);
    for row in &s.shares {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await?;
    let mut sink = ctx.sink::<referrals::Entity>(s.referrals.len() as u64);
    for row in &s.referrals {
        ctx.put(&mut sink, row).await?;
    }
    ctx.close(&mut sink).await
}
