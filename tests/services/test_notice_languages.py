"""Every notice and email reaches its reader in the language they chose (issue 17): written when
it is queued, in the recipient's language, whether their own action, a manager's, or a
scheduled job (no request) wrote it; dates and money the Chinese way; a round's notices each in
their reader's language with one look-up for all; the email's footer in that language too."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.header import decode_header, make_header
from zoneinfo import ZoneInfo

from sqlalchemy import event, select

from innocell.extensions import db
from innocell.jobs.runner import run_job
from innocell.models import Notification
from innocell.services import bookings as svc
from innocell.services import housing as h
from innocell.services.notifications import notify_many
from innocell.services.wording import Day, Money, _
from tests.services.test_mailer import smtp  # noqa: F401  (the fake SMTP server fixture)

HK = ZoneInfo("Asia/Hong_Kong")
ZH = "zh_Hant_HK"
# An English sentence left in a Chinese notice: three English words in a row (names such as
# 'Lab 1' or a unit code are not).
ENGLISH_RUN = re.compile(r"[A-Za-z]+[ ,.:;]+[A-Za-z]+[ ,.:;]+[A-Za-z]+")


def hk(day, hour):
    return datetime(2026, 12, day, hour, tzinfo=HK).astimezone(timezone.utc)


def notices(session, user, kind=None):
    stmt = select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return session.execute(stmt).scalars().all()


def only(session, user, kind):
    found = notices(session, user, kind)
    assert len(found) == 1, [(n.kind, n.subject) for n in notices(session, user)]
    return found[0]


def assert_chinese(note, *words):
    text = f"{note.subject}\n{note.body}"
    for word in words:
        assert word in text, text
    assert not ENGLISH_RUN.search(text), text


def test_booking_cancellation_and_reminder_reach_each_reader_in_their_language(app, session, make_user, manager,
                                                                              new_space, now):
    chan = make_user("resident", name="Chan", language=ZH, email_verified_at=now)
    emma = make_user("resident", name="Emma", language="en", email_verified_at=now)
    lab = new_space()
    mine = svc.book(session, user=chan, space_id=lab.id, start=hk(2, 10), end=hk(2, 11), title=None, now=now)
    hers = svc.book(session, user=emma, space_id=lab.id, start=hk(2, 12), end=hk(2, 13), title=None, now=now)
    assert mine.status == hers.status == "confirmed"

    made = only(session, chan, "booking_made")
    assert made.subject == f"你的 {lab.name} 預約已確認"
    assert_chinese(made, "已為你預約", "2026年12月2日週三 10:00至11:00")
    assert only(session, emma, "booking_made").body == f"{lab.name} on Wed 02 Dec 2026 12:00-13:00 is booked for you."

    # A manager (no request here; the web test below has one) cancels both.
    svc.cancel(session, mine.id, actor=manager, now=now, reason="實驗室清潔")
    svc.cancel(session, hers.id, actor=manager, now=now, reason="Lab cleaning")
    cancelled = only(session, chan, "booking_cancelled")
    assert cancelled.subject == f"你的 {lab.name} 預約已被取消"
    assert_chinese(cancelled, "經理已取消你於 2026年12月2日週三 10:00至11:00 的", "預約：實驗室清潔")
    assert only(session, emma, "booking_cancelled").body == (
        f"A manager cancelled your booking of {lab.name} on Wed 02 Dec 2026 12:00-13:00: Lab cleaning")

    # The reminders job: no request, no signed-in person.
    svc.book(session, user=chan, space_id=lab.id, start=hk(1, 12), end=hk(1, 13), title="組會", now=now)
    svc.book(session, user=emma, space_id=lab.id, start=hk(1, 14), end=hk(1, 15), title="Group", now=now)
    assert run_job(app, "reminders", now, "cli").counts["reminded"] == 2
    session.expire_all()
    reminder = only(session, chan, "reminder")
    assert reminder.subject == f"提示：12月1日週二 12:00至13:00的 {lab.name}"
    assert_chinese(reminder, "提示：你已預約", "（組會）")
    english = only(session, emma, "reminder")
    assert english.subject == f"Reminder: {lab.name} on Tue 01 Dec 14:00-15:00"
    assert english.body.startswith(f"Reminder: you have booked {lab.name} on Tue 01 Dec 14:00-15:00 (Group).")


def test_a_manager_on_an_english_page_writes_to_a_chinese_reader_in_chinese_and_back(client, login, session, make_user,
                                                                                    new_space, now):
    chan = make_user("resident", name="Chan", language=ZH, email_verified_at=now)
    emma = make_user("resident", name="Emma", language="en", email_verified_at=now)
    boss_en = make_user("manager", name="Boss", language="en")
    boss_zh = make_user("manager", name="Wong", language=ZH)
    lab = new_space()
    mine = svc.book(session, user=chan, space_id=lab.id, start=hk(3, 10), end=hk(3, 11), title=None, now=now)
    hers = svc.book(session, user=emma, space_id=lab.id, start=hk(3, 12), end=hk(3, 13), title=None, now=now)
    session.commit()

    login(boss_en)
    assert client.post(f"/bookings/{mine.id}/cancel", data={"reason": "Lab cleaning"}).status_code == 302
    client.post("/logout")
    login(boss_zh)
    page = client.post(f"/bookings/{hers.id}/cancel", data={"reason": "維修"}, follow_redirects=True)
    # The Chinese manager's own page stays Chinese after writing an English notice.
    assert "預約已取消；該時段已重新開放給其他人。" in page.get_data(as_text=True)

    session.expire_all()
    assert_chinese(only(session, chan, "booking_cancelled"), "經理已取消你於 2026年12月3日週四 10:00至11:00 的")
    assert only(session, emma, "booking_cancelled").body == (
        f"A manager cancelled your booking of {lab.name} on Thu 03 Dec 2026 12:00-13:00: 維修")


def test_a_round_a_lease_and_an_offer_deadline_in_each_readers_language(session, make_user, manager, now):
    twin = h.create_unit(session, {"code": "03-01", "unit_type": "twin", "floor": 3, "monthly_rent": "12000"},
                         actor=manager, now=now)
    lived = h.create_unit(session, {"code": "03-02", "unit_type": "twin", "floor": 3, "monthly_rent": "9000"},
                          actor=manager, now=now)
    chan = make_user("resident", name="Chan", language=ZH, priority_tier=1, email_verified_at=now)
    emma = make_user("resident", name="Emma", language="en", priority_tier=2, email_verified_at=now)
    tenant = make_user("resident", name="Ho", language=ZH, email_verified_at=now)
    h.create_lease(session, unit_id=lived.id, user_id=tenant.id, start=date(2026, 11, 1), end=date(2027, 6, 1),
                   actor=manager, now=now)
    recorded = only(session, tenant, "lease_created")
    assert recorded.subject == "你的單位 03-02 租約已記錄"
    assert_chinese(recorded, "由 2026年11月1日 至 2027年6月1日（遷出日）")

    for person in (chan, emma):
        h.submit_application(session, user=person, unit_type="twin", move_in=date(2027, 1, 1), term_months=12, now=now)
    h.commit_round(session, actor=manager, now=now)

    offer = only(session, chan, "offer_allocation")
    assert offer.subject == "你獲得單位 03-01 的要約"
    assert_chinese(offer, "你可由 2027年1月1日 至 2028年1月1日（遷出日）入住，月租 HK$12,000.00",
                   "請於 2026年12月8日週二 10:00 前接受或拒絕")
    waiting = only(session, emma, "waitlisted")
    assert waiting.subject == "You are on the waitlist for a twin unit"
    assert waiting.body.startswith("This round could not place you.")


def test_notify_many_reads_every_recipients_language_in_one_query(app, session, make_user, now):
    people = [make_user("resident", language=ZH if i % 2 else "en") for i in range(6)]
    readers = {p.id: p.language for p in people}
    batch = [{"user_id": user_id, "kind": "offer_waitlist", "dedupe_key": f"t:{user_id}",
              "subject": _("A unit came free for you: %(code)s", code="05-01"),
              "body": _("Unit %(unit)s is yours from %(start)s to %(end)s (move-out day).", unit="05-01",
                        start=Day(date(2027, 2, 1)), end=Day(date(2027, 3, 1)))} for user_id in readers]
    session.expire_all()  # nobody's language is in the session: it has to be read
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM users" in statement:
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        written = notify_many(session, batch, now=now)
        session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert written == 6
    assert len(statements) == 1, statements
    for p in people:
        note = only(session, p, "offer_waitlist")
        if readers[p.id] == ZH:
            assert (note.subject, note.body) == ("有單位空出給你：05-01",
                                                 "單位 05-01 由 2027年2月1日 至 2027年3月1日（遷出日）歸你使用。")
        else:
            assert (note.subject, note.body) == ("A unit came free for you: 05-01",
                                                 "Unit 05-01 is yours from 1 Feb 2027 to 1 Mar 2027 (move-out day).")
    assert str(Money("12000")) == "HK$12,000.00"  # English outside any forced language


def _text_part(message) -> str:
    for part in message.walk():
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
    raise AssertionError("no text part")


def test_the_email_of_a_chinese_reader_is_chinese_footer_and_all(app, session, make_user, new_space, smtp, now):  # noqa: F811
    app.config["SMTP_URL"] = smtp.url
    chan = make_user("resident", name="Chan", language=ZH, email="chan@example.test", email_verified_at=now)
    emma = make_user("resident", name="Emma", language="en", email="emma@example.test", email_verified_at=now)
    lab = new_space()
    svc.book(session, user=chan, space_id=lab.id, start=hk(4, 10), end=hk(4, 11), title=None, now=now)
    svc.book(session, user=emma, space_id=lab.id, start=hk(4, 12), end=hk(4, 13), title=None, now=now)
    session.commit()
    assert run_job(app, "mail", now, "cli").counts["sent"] == 2
    mails = {rcpts[0]: message for rcpts, message in smtp.messages}

    chinese = mails["chan@example.test"]
    assert str(make_header(decode_header(chinese["Subject"]))) == f"你的 {lab.name} 預約已確認"
    body = _text_part(chinese)
    assert "已為你預約2026年12月4日週五 10:00至11:00的" in body
    assert "你可以在 InnoCell 收件匣閱讀你的所有通知。" in body
    assert not ENGLISH_RUN.search(body.split("http")[0]), body
    english = _text_part(mails["emma@example.test"])
    assert "is booked for you." in english and "You can read all your notices in your InnoCell inbox." in english
    assert [p.get_content_type() for p in chinese.walk()].count("text/calendar") == 1  # the invite still rides along


def test_a_person_who_saved_no_language_reads_the_page_they_asked_from(client, login, session, make_user, new_space,
                                                                       now):
    """No saved language: a link asked for from a Chinese page comes in Chinese; a notice written
    by someone else's request (a manager's) falls back to English."""
    quiet = make_user("resident", email="quiet@example.test", name="Quiet", language=None, email_verified_at=now)
    client.set_cookie("lang", ZH)
    assert client.post("/password/forgot", data={"email": "quiet@example.test"}).status_code == 200
    reset = only(session, quiet, "password_reset")
    assert reset.subject == "重設你的 InnoCell 密碼"
    assert_chinese(reset, "有人要求重設你的 InnoCell 帳戶密碼")

    boss = make_user("manager", name="Wong", language=ZH)
    lab = new_space()
    session.commit()
    login(quiet)  # signed in, still no saved language: the page's (the cookie's) is theirs
    assert client.post(f"/spaces/{lab.id}/book", data={"date": "2026-12-03", "start": "10:00", "end": "11:00",
                                                      "title": "組會"}).status_code == 302
    session.expire_all()
    made = only(session, quiet, "booking_made")
    assert_chinese(made, "已為你預約2026年12月3日週四 10:00至11:00的")
    booked = made.booking_id
    client.post("/logout")
    login(boss)
    assert client.post(f"/bookings/{booked}/cancel", data={"reason": "維修"}).status_code == 302
    session.expire_all()
    assert only(session, quiet, "booking_cancelled").subject == f"Your booking of {lab.name} was cancelled"


def test_a_unit_type_reads_by_its_chinese_name_for_a_chinese_reader(session, make_user, manager, now):
    """Managers name the twin type 雙人套房: a Chinese reader's waitlist notice says so, an
    English reader's keeps the type's key as before."""
    from innocell.services.housing import unit_types

    unit_types.update_type_info(session, "twin", {"name_zh": "雙人套房"}, actor=manager, now=now)
    h.create_unit(session, {"code": "05-01", "unit_type": "twin", "floor": 5, "monthly_rent": "12000"},
                  actor=manager, now=now)
    first = make_user("resident", name="Ng", language="en", priority_tier=1, email_verified_at=now)
    chan = make_user("resident", name="Chan", language=ZH, priority_tier=2, email_verified_at=now)
    emma = make_user("resident", name="Emma", language="en", priority_tier=3, email_verified_at=now)
    for person in (first, chan, emma):  # one twin unit: Ng is offered it, the others wait
        h.submit_application(session, user=person, unit_type="twin", move_in=date(2027, 1, 1), term_months=12, now=now)
    h.commit_round(session, actor=manager, now=now)
    assert only(session, chan, "waitlisted").subject == "你已列入 雙人套房 單位的輪候名單"
    assert "雙人套房" in only(session, chan, "waitlisted").body
    assert only(session, emma, "waitlisted").subject == "You are on the waitlist for a twin unit"
