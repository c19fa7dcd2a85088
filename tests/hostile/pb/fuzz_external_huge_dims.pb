BXj
locatiof/etc/passwdpÿÿÿÿÿÿÿj
locatiof/etc/passwdp