"""Room on each page of ``messaging_messagepart`` for every part's one status change (PostgreSQL only).

A part is written twice in its life: inserted as ``sent``, then updated once by its receipt. The
update touches no indexed column, so PostgreSQL can write the new version on the same page without
new index entries (a HOT update), but only if the page has room; parts are inserted densely, so it
had none, and every receipt added an entry to each of the table's three indexes. At fillfactor 50
each page keeps room for a second version of all its rows.
"""

from django.db import migrations


def set_fillfactor(apps, schema_editor, value: int) -> None:
    if schema_editor.connection.vendor == "postgresql":
        table = schema_editor.quote_name(apps.get_model("messaging", "MessagePart")._meta.db_table)
        schema_editor.execute(f"ALTER TABLE {table} SET (fillfactor = {int(value)})")


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0003_cause_unique_constraint'),
    ]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: set_fillfactor(apps, schema_editor, 50),
            lambda apps, schema_editor: set_fillfactor(apps, schema_editor, 100),
        ),
    ]
