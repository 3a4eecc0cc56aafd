import datetime
import unittest

from dates import day_of_year, days_in_month, days_in_year, is_leap_year


class HiddenDates(unittest.TestCase):
    def test_against_datetime(self):
        for year in list(range(1590, 2430, 1)):
            expected = (datetime.date(year, 12, 31) - datetime.date(year, 1, 1)).days + 1
            self.assertEqual(days_in_year(year), expected, year)

    def test_centuries(self):
        self.assertEqual([is_leap_year(y) for y in (1600, 1700, 1800, 1900, 2000, 2100, 2400)],
                         [True, False, False, False, True, False, True])
        self.assertEqual(day_of_year(2000, 12, 31), 366)
        self.assertEqual(days_in_month(2400, 2), 29)


if __name__ == "__main__":
    unittest.main()
