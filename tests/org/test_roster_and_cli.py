"""Roster import and the organisation commands."""
import pytest

from tests.factories import make_user

GOOD = ("school,group,username,display name,role,host\n"
        "城关第一小学,语文组,wanglihua,王丽华,teacher,是\n"
        "城关第一小学,语文组,lijianjun,李建军,teacher,否\n"
        "城关第一小学,数学组,lijianjun,李建军,teacher,否\n"
        "实验小学,英语组,zhangmin,张敏,teacher,\n")


def _users(db):
    from forum.auth.models import User
    return {u.username: u for u in db.session.scalars(db.select(User))}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_import_in_every_encoding(app, db, runner, tmp_path, encoding):
    from forum.org.models import Group, Membership

    path = tmp_path / "roster.csv"
    path.write_bytes(GOOD.encode(encoding))
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code == 0, result.output
    users = _users(db)
    assert users["wanglihua"].display_name == "王丽华"
    assert users["lijianjun"].school.name == "城关第一小学"
    yuwen = db.session.scalar(db.select(Group).where(Group.name == "语文组"))
    host = db.session.scalar(db.select(Membership).where(Membership.group_id == yuwen.id,
                                                         Membership.user_id == users["wanglihua"].id))
    assert host.is_host
    assert db.session.scalar(db.select(db.func.count()).select_from(Membership)) == 4
    assert "wanglihua" in result.output  # initial passwords are printed once


def test_xlsx_import_with_chinese_headers(app, db, runner, tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["学校", "教研组", "用户名", "姓名", "角色", "主持人"])
    ws.append(["青山镇中心小学", "语文组", "zhouhaiyan", "周海燕", "教师", "是"])
    ws.append(["青山镇中心小学", "语文组", "jiaoyan1", "刘建国", "领导", "否"])
    path = tmp_path / "roster.xlsx"
    wb.save(path)
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code == 0, result.output
    users = _users(db)
    assert users["zhouhaiyan"].display_name == "周海燕" and users["jiaoyan1"].role == "leader"


@pytest.mark.parametrize("bad_row,row_number,words", [
    ("实验小学,英语组,badrole,某,principal,否", 3, "未知角色"),
    ("实验小学,英语组,wanglihua,另一个王丽华,teacher,否", 3, "重复"),
    ("实验小学,,someone,某,teacher,否", 3, "不能为空"),
    ("实验小学,英语组,bad\u200bname,某,teacher,否", 3, "不可见"),
    ("实验小学,英语组,hostword,某,teacher,也许", 3, "主持人"),
])
def test_a_bad_row_is_named_and_nothing_is_imported(app, db, runner, tmp_path, bad_row, row_number, words):
    from forum.org.models import School

    text = ("school,group,username,display name,role,host\n"
            "城关第一小学,语文组,wanglihua,王丽华,teacher,是\n" + bad_row + "\n")
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code != 0
    assert f"第 {row_number} 行" in result.output and words in result.output
    assert _users(db) == {}
    assert db.session.scalar(db.select(db.func.count()).select_from(School)) == 0


def test_missing_column_is_reported(app, db, runner, tmp_path):
    path = tmp_path / "cols.csv"
    path.write_text("school,group,username\n实验小学,英语组,someone\n", encoding="utf-8")
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code != 0 and "缺少列" in result.output and "display_name" in result.output


def test_existing_username_with_other_person_is_refused(app, db, runner, tmp_path):
    make_user("wanglihua", display_name="王丽华")
    path = tmp_path / "clash.csv"
    path.write_text("school,group,username,display name,role,host\n实验小学,英语组,wanglihua,王立华,teacher,否\n",
                    encoding="utf-8")
    result = runner.invoke(args=["org", "import", str(path)])
    assert result.exit_code != 0 and "已被其他人使用" in result.output


def test_groups_create_and_add_member_commands(app, db, runner):
    from forum.org.models import Group, Membership

    result = runner.invoke(args=["groups", "create", "语文组", "--school", "城关第一小学", "--subject", "语文",
                                 "--visibility", "school"])
    assert result.exit_code == 0, result.output
    group = db.session.scalar(db.select(Group))
    assert group.visibility == "school" and group.blog is not None and group.board is not None
    assert group.school.name == "城关第一小学"
    make_user("hostuser")
    result = runner.invoke(args=["groups", "add-member", "语文组", "hostuser", "--host"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(db.select(Membership.is_host)) is True
    result = runner.invoke(args=["groups", "add-member", "城关第一小学/语文组", "nobody"])
    assert result.exit_code != 0 and "no such user" in result.output


def test_ambiguous_group_name_asks_for_school(app, db, runner):
    runner.invoke(args=["groups", "create", "数学组", "--school", "甲校"])
    runner.invoke(args=["groups", "create", "数学组", "--school", "乙校"])
    make_user("someone")
    result = runner.invoke(args=["groups", "add-member", "数学组", "someone"])
    assert result.exit_code != 0 and "学校/组名" in result.output
    assert runner.invoke(args=["groups", "add-member", "乙校/数学组", "someone"]).exit_code == 0


def test_users_create_refuses_unknown_role_and_duplicates(app, runner):
    assert runner.invoke(args=["users", "create", "a1", "--password", "x" * 12, "--role", "king"]).exit_code != 0
    assert runner.invoke(args=["users", "create", "dup", "--password", "long-password-1"]).exit_code == 0
    result = runner.invoke(args=["users", "create", "DUP", "--password", "long-password-1"])
    assert result.exit_code != 0


def test_seed_demo_builds_district_and_says_when_it_exists(app, db, runner):
    from forum.auth.models import User
    from forum.org.models import Cluster, Group, School

    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "jiaoyanyuan" in result.output and "admin" in result.output
    assert db.session.scalar(db.select(db.func.count()).select_from(Cluster)) >= 2
    assert db.session.scalar(db.select(db.func.count()).select_from(School)) >= 6
    assert db.session.scalar(db.select(db.func.count()).select_from(Group)) >= 12
    teachers = db.session.scalar(db.select(db.func.count()).select_from(User).where(User.role == "teacher"))
    assert teachers >= 60
    visibilities = set(db.session.scalars(db.select(Group.visibility)))
    assert visibilities == {"public", "school", "group"}
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "已存在" in again.output
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(User.role == "teacher")) == teachers


def test_admin_pages_are_for_admins_only(app, client, login, db):
    teacher = make_user()
    login(teacher)
    assert client.get("/admin/").status_code == 403
    admin = make_user(role="admin")
    login(admin)
    assert client.get("/admin/").status_code == 200
    resp = client.post("/admin/schools", data={"s-name": "新建学校", "s-cluster_id": 0})
    assert resp.status_code == 302
    from forum.org.models import School
    assert db.session.scalar(db.select(School.name)) == "新建学校"


def test_admin_creates_group_and_manages_hosts(app, client, login, db):
    from forum.org.models import Group, Membership
    from tests.factories import make_school

    school = make_school("育才中学")
    admin, teacher = make_user(role="admin"), make_user("zhoujing")
    login(admin)
    resp = client.post("/admin/groups", data={"g-name": "物理组", "g-school_id": school.id, "g-subject": "物理",
                                              "g-grade": "", "g-visibility": "school", "g-description": ""})
    assert resp.status_code == 302
    group = db.session.scalar(db.select(Group))
    client.post(f"/admin/groups/{group.id}/members", data={"m-username": "zhoujing", "m-is_host": "y"})
    assert db.session.scalar(db.select(Membership.is_host).where(Membership.user_id == teacher.id)) is True
    client.post(f"/admin/groups/{group.id}/members/{teacher.id}/unhost")
    assert db.session.scalar(db.select(Membership.is_host).where(Membership.user_id == teacher.id)) is False
