from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='agency',
            name='dvcqg_units',
            field=models.CharField(blank=True, help_text='Phần đầu của mã hồ sơ dạng <mã đơn vị>-<ngày>-<số>, ví dụ 000.00.16.H31; nhiều mã cách nhau bởi dấu phẩy. Chỉ khóa API của cơ quan này tạo được hồ sơ mang các mã đó.', max_length=255, verbose_name='mã đơn vị trong mã hồ sơ quốc gia'),
        ),
    ]
