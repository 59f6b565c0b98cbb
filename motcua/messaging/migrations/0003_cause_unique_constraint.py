"""``Message.cause`` stays unique, through a constraint instead of ``unique=True``: on PostgreSQL the
field option also made a ``varchar_pattern_ops`` index that no query uses and every message write
maintained. The constraint is built before the old one goes, so uniqueness never lapses."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0001_initial'),
        ('messaging', '0002_partial_status_indexes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='message',
            constraint=models.UniqueConstraint(fields=('cause',), name='one_message_per_cause'),
        ),
        migrations.AlterField(
            model_name='message',
            name='cause',
            field=models.CharField(max_length=120),
        ),
    ]
