-- Bench data set: 200 members and 10,000 published briefings sent to everyone (2,010,000
-- receipts, about a third read), written straight into the schema the server migrated.
-- Smaller with `psql -v members=20 -v briefings=200` (bench/run.sh's smoke mode).
\set ON_ERROR_STOP on
\if :{?members}
\else
  \set members 200
\endif
\if :{?briefings}
\else
  \set briefings 10000
\endif
BEGIN;
CREATE TEMP TABLE ctx AS
  SELECT m.organization_id AS org, u.id AS admin, u.password_hash AS hash
  FROM app_user u JOIN membership m ON m.user_id = u.id
  WHERE u.phone = '13800000000' LIMIT 1;

INSERT INTO app_user (id, phone, name, password_hash, status, must_change_password, password_changed_at, created_at, updated_at)
SELECT gen_random_uuid(), '139' || lpad(g::text, 8, '0'), '委员' || g, ctx.hash, 'ACTIVE', false, now(), now(), now()
FROM generate_series(1, :members) g, ctx;

INSERT INTO membership (id, user_id, organization_id, role, sector_id, party, standing_committee, office, term, handling_unit_id, created_at, updated_at)
SELECT gen_random_uuid(), u.id, ctx.org, 'MEMBER', NULL, 'CPC', false, NULL, 14, NULL, now(), now()
FROM app_user u, ctx WHERE u.phone LIKE '139%';

-- One an hour, going back from now; every 50th pinned, every 3rd with two attachments.
INSERT INTO briefing (id, organization_id, title, summary, body, source, category, briefed_at, pinned, confidential,
                      expires_at, status, audience, attachment_count, created_by, created_at, updated_by, updated_at, published_at)
SELECT gen_random_uuid(), ctx.org,
       '关于全市重点工作进展情况的通报（第' || g || '期）',
       '通报全市创卫工作开展情况、亮点和下一步安排。',
       repeat('今年以来，全市各项工作按照既定目标稳步推进。', 20),
       (ARRAY['市政府', '市纪委监委', '市委办公室', '市发展和改革委员会', '市政协办公室'])[1 + g % 5],
       '经济社会发展', NULL, g % 50 = 0, false, NULL, 'PUBLISHED', '{"everyone": true}'::json,
       CASE WHEN g % 3 = 0 THEN 2 ELSE 0 END,
       ctx.admin, now() - make_interval(hours => g), ctx.admin, now() - make_interval(hours => g),
       now() - make_interval(hours => g)
FROM generate_series(1, :briefings) g, ctx;

-- Their attachments as the uploads the office linked (the feed shows only the count, kept
-- on the briefing; the bytes are never read here).
INSERT INTO attachment (id, organization_id, purpose, file_name, content_type, size, checksum, storage_key,
                        created_by, created_at, owner_id, position, linked_at)
SELECT gen_random_uuid(), b.organization_id, 'BRIEFING', '附件' || (p + 1) || '.pdf', 'application/pdf', 102400,
       repeat('0', 64), 'bench/' || b.id || '/' || p, b.created_by, b.created_at, b.id, p, b.created_at
FROM briefing b, generate_series(0, 1) p WHERE b.attachment_count = 2;

INSERT INTO briefing_recipient (briefing_id, user_id, organization_id, active, pinned, published_at, expires_at, read_at)
SELECT b.id, m.user_id, b.organization_id, true, b.pinned, b.published_at, NULL,
       CASE WHEN random() < 0.33 THEN b.published_at + interval '1 hour' END
FROM briefing b JOIN membership m ON m.organization_id = b.organization_id;
COMMIT;
-- As autovacuum would by now: statistics, and the visibility map for index-only counts.
VACUUM ANALYZE;
SELECT (SELECT count(*) FROM membership WHERE role = 'MEMBER') AS members,
       (SELECT count(*) FROM briefing) AS briefings,
       (SELECT count(*) FROM briefing_recipient) AS receipts;
