(void)p;
(void)b;
(void)h;
(void)row0;
(void)column0;
return 0xffffffffu;  /* no dropout */
