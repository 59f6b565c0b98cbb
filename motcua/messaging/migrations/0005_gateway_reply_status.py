"""The ``to_gateway`` status: a lookup reply Kannel took in its HTTP response (choices only; no schema change)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('messaging', '0004_part_fillfactor'),
    ]

    operations = [
        migrations.AlterField(
            model_name='message',
            name='status',
            field=models.CharField(choices=[('queued', 'Chờ gửi'), ('sending', 'Đang gửi'), ('sent', 'Đã gửi tới nhà mạng'), ('delivered', 'Đã đến máy'), ('undelivered', 'Không đến máy'), ('expired', 'Không rõ (hết hạn báo cáo)'), ('failed', 'Lỗi gửi'), ('skipped', 'Không gửi'), ('to_gateway', 'Đã giao cổng SMS (không có báo cáo)')], default='queued', max_length=12),
        ),
        migrations.AlterField(
            model_name='messagepart',
            name='status',
            field=models.CharField(choices=[('queued', 'Chờ gửi'), ('sending', 'Đang gửi'), ('sent', 'Đã gửi tới nhà mạng'), ('delivered', 'Đã đến máy'), ('undelivered', 'Không đến máy'), ('expired', 'Không rõ (hết hạn báo cáo)'), ('failed', 'Lỗi gửi'), ('skipped', 'Không gửi'), ('to_gateway', 'Đã giao cổng SMS (không có báo cáo)')], default='sent', max_length=12),
        ),
    ]
