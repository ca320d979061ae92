DROP TABLE cars_drivers;
DROP TABLE drivers;
DROP TABLE cars;
DROP TABLE payments;
DROP TABLE line_items;
DROP TABLE invoices;
DROP TABLE customers;
