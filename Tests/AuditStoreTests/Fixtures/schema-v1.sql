-- A store written by the first schema (v1-decisions): three decisions (allow, held then released, blocked)
-- and a release event. Generated once; never edit (it is the earlier schema the migration test opens).
CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
INSERT INTO grdb_migrations VALUES('v1-decisions');
CREATE TABLE store_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    hmac_key BLOB NOT NULL,
    created_us INTEGER NOT NULL);
INSERT INTO store_meta VALUES(1,X'f1792b7ce052391ebf9a39054a14af0e3f80edcac510e4b16ea1d43714060358',1796045926056253);
CREATE TABLE chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL);
INSERT INTO chain_head VALUES(1,4,'12091221fd90a547d82d2bee74e7eab0a03b6e13ff6978087ec4e02811110f63');
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    time_us INTEGER NOT NULL,
    origin TEXT NOT NULL,
    source TEXT,
    queue_id TEXT,
    message_id TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    direction TEXT NOT NULL,
    mail_from TEXT,
    authenticated INTEGER NOT NULL,
    subject TEXT,
    policy_name TEXT NOT NULL,
    policy_hash TEXT NOT NULL,
    pmark_version TEXT NOT NULL,
    message_action TEXT NOT NULL,
    classification TEXT,
    endorsements TEXT NOT NULL,
    auto_forward TEXT NOT NULL,
    notify_recipients INTEGER NOT NULL,
    notify_sender INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
INSERT INTO decisions VALUES(1,1,1796045926093326,'gateway','smtpd','4F1A2B3C','<m695084835@agency.govt.nz>','1482e00e4ea488d34e8ca694b389252ab71f502f76c424507cda715223980f01',184,'outbound','hmac:7ce675b88dfa71992fe5c18015878b36a03f4907ac1191dd33b38e976361a667',0,NULL,'NZ agency default','43acb39e366a5a95e9a65282fe55f578eb347c6f3bbc7ef3ece2db42b1a87e48','test','allow','IN-CONFIDENCE','','',0,0,'0000000000000000000000000000000000000000000000000000000000000000','b661e2963029b6ee53f0a5230405e900fd609935a5fbb5e720cea7fa341672c8');
INSERT INTO decisions VALUES(2,2,1796045926094557,'gateway','smtpd','5D6E7F80','<m3679600170@agency.govt.nz>','ec94085687c1c53c7def9a257ddc1a12c2ebac5a78c41e675cf03c55d36e364d',162,'outbound','hmac:7ce675b88dfa71992fe5c18015878b36a03f4907ac1191dd33b38e976361a667',0,NULL,'NZ agency default','43acb39e366a5a95e9a65282fe55f578eb347c6f3bbc7ef3ece2db42b1a87e48','test','quarantine',NULL,'','',0,0,'b661e2963029b6ee53f0a5230405e900fd609935a5fbb5e720cea7fa341672c8','3c092704c892ee70d34c652aaebb87766e5f81e8d8b4e4ce2c268b0cd95c1396');
INSERT INTO decisions VALUES(3,3,1796045926107051,'gateway','smtpd',NULL,'<m2637224313@agency.govt.nz>','4b4d5d74d7d629bd5510608cff4b6ab3de9a02506ce62bcd3d8d99e2a473b15e',175,'outbound','hmac:7ce675b88dfa71992fe5c18015878b36a03f4907ac1191dd33b38e976361a667',0,NULL,'NZ agency default','43acb39e366a5a95e9a65282fe55f578eb347c6f3bbc7ef3ece2db42b1a87e48','test','block','SENSITIVE','','',0,0,'3c092704c892ee70d34c652aaebb87766e5f81e8d8b4e4ce2c268b0cd95c1396','39f97f0e77a6d4f3bb519d6605bf19351187a3770a029d040d4ecbc545e1d9a8');
CREATE TABLE recipient_verdicts (
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    group_index INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    recipient TEXT NOT NULL,
    path TEXT NOT NULL,
    action TEXT NOT NULL,
    PRIMARY KEY (decision_id, group_index, ordinal));
INSERT INTO recipient_verdicts VALUES(1,0,0,'hmac:457a603af7bbd0a94647a01a11426aaa276461f6a5ab8f22071cfd7a9f5de85f','internet','allow');
INSERT INTO recipient_verdicts VALUES(2,0,0,'hmac:d3852c139f1918e235b57f4d1206aededacd6660d6c5bb53d409883e8800d319','internet','quarantine');
INSERT INTO recipient_verdicts VALUES(3,0,0,'hmac:5da8866dc4db803668827c3070268b768f38f20c55dfc8cab3681ec48813c829','internet','block');
CREATE TABLE reasons (
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    group_index INTEGER NOT NULL,
    ordinal INTEGER NOT NULL,
    rule_id TEXT NOT NULL,
    action TEXT NOT NULL,
    control TEXT NOT NULL,
    cid INTEGER,
    evidence TEXT NOT NULL,
    PRIMARY KEY (decision_id, group_index, ordinal));
INSERT INTO reasons VALUES(2,0,0,'PM-UNM-002','quarantine','15.2.39.C.03',1756,'no classification in the message''s own locations');
INSERT INTO reasons VALUES(3,0,0,'PM-OUT-001','block','15.2.40.C.01',1760,'marked SENSITIVE; path ''internet'' is accredited to IN-CONFIDENCE');
CREATE TABLE findings (
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    ordinal INTEGER NOT NULL,
    origin TEXT NOT NULL,
    finding_id TEXT NOT NULL,
    location TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (decision_id, ordinal));
INSERT INTO findings VALUES(2,0,'marking','unmarked','message','no classification in the headers, subject or body lines');
CREATE TABLE attachments (
    decision_id INTEGER NOT NULL REFERENCES decisions(id),
    ordinal INTEGER NOT NULL,
    location TEXT NOT NULL,
    filename TEXT,
    declared_type TEXT,
    detected_type TEXT NOT NULL,
    family TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (decision_id, ordinal));
CREATE TABLE quarantine (
    decision_id INTEGER PRIMARY KEY REFERENCES decisions(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created_us INTEGER NOT NULL,
    updated_us INTEGER NOT NULL,
    queue_id TEXT,
    envelope_from TEXT NOT NULL,
    release_recipients TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    compression TEXT NOT NULL,
    data BLOB);
INSERT INTO quarantine VALUES(2,'held','released',1796045926094557,1796045926094557,'5D6E7F80','aroha@agency.govt.nz','["a@gmail.com"]',162,'ec94085687c1c53c7def9a257ddc1a12c2ebac5a78c41e675cf03c55d36e364d','zlib',X'789c658c410ac2301000ef81fc61ef6ad834d0622852a10822f5a21f584b482b4916da58d0d76bcfc2c09c664e13470bc78907829a5635e45deadfcaf39255fa1ca4b8b3056a7ca431a89ea314b7d7e3e9fa6c617021b0149d9be75fb53bb716ea68ca6a5f22ea0aff572d6567a1e3b4058370e5050a2c4ad068710536da204a21c56524e08994145f69752f27');
INSERT INTO quarantine VALUES(3,'blocked','blocked',1796045926107051,1796045926107051,NULL,'aroha@agency.govt.nz','["b@gmail.com"]',175,'4b4d5d74d7d629bd5510608cff4b6ab3de9a02506ce62bcd3d8d99e2a473b15e','zlib',X'789c65cc410b82301880e1fb60ffe1bb57636e6130240c3490d08bd1253a7cda5846f3039d42fdfaf21cbcf0de9ee340dec061a0074282cb5274b66fdfc2d11c44ffd9737626034dea3c762fd192e7ac9e9aa76d83816b9d5775712e2ef90d9ae9ee6ce0acb4e3f82336456620f12ad63ba5b63ad2ff6e86c11a28a95f839650d10c4aaa182269e412ac222d25679c9d3a041a5070f6051ff3331b');
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    seq INTEGER NOT NULL UNIQUE,
    time_us INTEGER NOT NULL,
    kind TEXT NOT NULL,
    decision_id INTEGER,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL);
INSERT INTO events VALUES(1,4,1795000000000000,'release',2,'kiri','sender confirmed','re-submitted through sendmail to 1 recipient(s)','39f97f0e77a6d4f3bb519d6605bf19351187a3770a029d040d4ecbc545e1d9a8','12091221fd90a547d82d2bee74e7eab0a03b6e13ff6978087ec4e02811110f63');
CREATE INDEX decisions_time ON decisions(time_us);
CREATE INDEX decisions_queue ON decisions(queue_id);
CREATE INDEX reasons_rule ON reasons(rule_id);
CREATE INDEX quarantine_status ON quarantine(status, created_us);
CREATE INDEX events_decision ON events(decision_id);
